// The takes of one shot as a strip of pictures, with "Set active" on each.
//
// One ES module for both hosts: an anywidget in Jupyter (auteur.notebook.TakeStrip) and a
// Panel AnyWidgetComponent in the studio (auteur.ui.take_strip.TakeStripPane). Both give it
// the same model: `takes` (a list of {id, number, label, thumb, active, rejected}) and
// `active` (the id of the active take), which the strip sets when the user picks a take.

const STYLE = `
.auteur-take-strip { display: flex; gap: 8px; overflow-x: auto; padding: 4px;
  font-family: system-ui, sans-serif; font-size: 12px; }
.auteur-take-strip figure { margin: 0; padding: 4px; border: 2px solid #ddd; border-radius: 6px;
  display: flex; flex-direction: column; align-items: center; gap: 4px; min-width: 112px; }
.auteur-take-strip figure.active { border-color: #1b6e20; }
.auteur-take-strip figure.rejected { opacity: 0.5; }
.auteur-take-strip img { width: 104px; height: 60px; object-fit: cover; background: #eee; }
.auteur-take-strip .placeholder { width: 104px; height: 60px; background: #eee; }
.auteur-take-strip button { font-size: 11px; cursor: pointer; }
.auteur-take-strip .empty { color: #666; font-style: italic; }
`;

function takeFigure(take, active, choose) {
  const figure = document.createElement("figure");
  figure.className = "auteur-take" + (take.id === active ? " active" : "") +
    (take.rejected ? " rejected" : "");
  figure.dataset.takeId = take.id;
  if (take.thumb) {
    const img = document.createElement("img");
    img.src = take.thumb;
    img.alt = take.label;
    figure.appendChild(img);
  } else {
    const blank = document.createElement("div");
    blank.className = "placeholder";
    figure.appendChild(blank);
  }
  const caption = document.createElement("figcaption");
  caption.textContent = take.label + (take.id === active ? " \u2605 active" : "");
  figure.appendChild(caption);
  const button = document.createElement("button");
  button.type = "button";
  button.textContent = "Set active";
  button.setAttribute("aria-label", `Set ${take.label} active`);
  button.disabled = take.id === active;
  button.addEventListener("click", () => choose(take.id));
  figure.appendChild(button);
  return figure;
}

// The anywidget model API (get, set, save_changes, on("change:x")). Panel 1.9 can hand an
// AnyWidgetComponent its plain ESM model instead (its render module is cached under one key
// for every ESM component), whose properties are read and set directly: accept both.
function anywidgetModel(model) {
  if (typeof model.get === "function") {
    return model;
  }
  return {
    get: (name) => model[name],
    set: (name, value) => {
      model[name] = value;
    },
    save_changes: () => {},
    on: (event, callback) => model.on(event.replace(/^change:/, ""), callback),
  };
}

function render({ model: given, el }) {
  const model = anywidgetModel(given);
  const style = document.createElement("style");
  style.textContent = STYLE;
  const strip = document.createElement("div");
  strip.className = "auteur-take-strip";
  strip.setAttribute("role", "list");
  strip.setAttribute("aria-label", "Takes");

  const choose = (id) => {
    model.set("active", id);
    model.save_changes();
  };
  const draw = () => {
    const takes = model.get("takes") || [];
    const active = model.get("active") || "";
    strip.replaceChildren(...takes.map((take) => takeFigure(take, active, choose)));
    if (!takes.length) {
      const empty = document.createElement("span");
      empty.className = "empty";
      empty.textContent = "No take yet.";
      strip.appendChild(empty);
    }
  };
  model.on("change:takes", draw);
  model.on("change:active", draw);
  draw();
  el.replaceChildren(style, strip);
}

export default { render };
