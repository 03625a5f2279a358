// The storyboard grid of a scene: one card per shot with its active take, its takes strip,
// a Generate button with a quality choice, and a progress overlay while it renders.

function button(text, label, onClick, className = "") {
  const b = document.createElement("button");
  b.type = "button";
  b.textContent = text;
  if (label) b.setAttribute("aria-label", label);
  if (className) b.className = className;
  b.addEventListener("click", (event) => {
    event.stopPropagation();
    onClick(event);
  });
  return b;
}

export function render({ model, el }) {
  const root = document.createElement("div");
  root.className = "au-board";
  const heading = document.createElement("h2");
  heading.className = "au-board-title";
  const grid = document.createElement("div");
  grid.className = "au-grid";
  grid.setAttribute("role", "list");
  const empty = document.createElement("p");
  empty.className = "au-empty";
  root.append(heading, grid, empty);
  el.append(root);

  const send = (msg) => model.send_msg(msg);

  function card(shot) {
    const item = document.createElement("article");
    item.className = "au-card";
    item.setAttribute("role", "listitem");
    item.setAttribute("aria-label", shot.code);
    item.dataset.shotId = shot.id;
    item.tabIndex = 0;
    item.addEventListener("click", () => send({ action: "select", id: shot.id }));
    // An asset dragged from the asset browser is cast into the shot it is dropped on.
    const isAsset = (event) =>
      event.dataTransfer && [...event.dataTransfer.types].includes("application/x-auteur-asset");
    item.addEventListener("dragover", (event) => {
      if (isAsset(event)) {
        event.preventDefault();
        event.dataTransfer.dropEffect = "copy";
        item.classList.add("au-drop-target");
      }
    });
    item.addEventListener("dragleave", () => item.classList.remove("au-drop-target"));
    item.addEventListener("drop", (event) => {
      item.classList.remove("au-drop-target");
      if (isAsset(event)) {
        event.preventDefault();
        const asset = event.dataTransfer.getData("application/x-auteur-asset");
        send({ action: "cast", id: shot.id, asset });
      }
    });
    item.addEventListener("keydown", (event) => {
      if (event.target === item && (event.key === "Enter" || event.key === " ")) {
        event.preventDefault();
        send({ action: "select", id: shot.id });
      }
    });

    const frame = document.createElement("div");
    frame.className = "au-frame";
    if (shot.thumb) {
      const img = document.createElement("img");
      img.src = shot.thumb;
      img.alt = `${shot.code} active take`;
      frame.append(img);
    } else {
      const none = document.createElement("span");
      none.textContent = "No take yet";
      frame.append(none);
    }
    const overlay = document.createElement("div");
    overlay.className = "au-overlay";
    overlay.hidden = true;
    frame.append(overlay);

    const code = document.createElement("div");
    code.className = "au-code";
    code.textContent = shot.title ? `${shot.code} \u00b7 ${shot.title}` : shot.code;
    const text = document.createElement("p");
    text.className = "au-description";
    text.textContent = shot.description;

    const controls = document.createElement("div");
    controls.className = "au-controls";
    const quality = document.createElement("select");
    quality.setAttribute("aria-label", `Quality for ${shot.code}`);
    for (const q of model.qualities) {
      const option = document.createElement("option");
      option.value = q;
      option.textContent = q;
      quality.append(option);
    }
    quality.value = shot.quality;
    quality.addEventListener("click", (event) => event.stopPropagation());
    const generate = button("Generate", `Generate ${shot.code}`, () =>
      send({ action: "generate", id: shot.id, quality: quality.value }), "au-generate");
    controls.append(quality, generate);

    const strip = document.createElement("div");
    strip.className = "au-takes";
    strip.setAttribute("aria-label", `Takes of ${shot.code}`);
    for (const take of shot.takes) {
      const cell = document.createElement("div");
      cell.className = take.active ? "au-take au-active" : "au-take";
      const pick = button("", `${shot.code} ${take.label}${take.active ? " (active)" : ""}`,
        () => send({ action: "select", id: take.id }));
      if (take.thumb) {
        const img = document.createElement("img");
        img.src = take.thumb;
        img.alt = "";
        pick.append(img);
      } else {
        pick.textContent = take.label;
      }
      cell.append(pick);
      if (!take.active) {
        cell.append(button("Set active", `Set ${take.label} of ${shot.code} active`,
          () => send({ action: "set_active", id: shot.id, take: take.id }), "au-set-active"));
      } else {
        const star = document.createElement("span");
        star.className = "au-star";
        star.textContent = "\u2605 active";
        cell.append(star);
      }
      strip.append(cell);
    }
    item.append(frame, code, text, controls, strip);
    return item;
  }

  function drawCards() {
    heading.textContent = model.title;
    grid.replaceChildren(...model.cards.map(card));
    empty.textContent = model.cards.length ? "" : model.empty_text;
    drawSelected();
    drawProgress();
  }

  function drawSelected() {
    for (const item of grid.children) {
      item.classList.toggle("au-selected", item.dataset.shotId === model.selected);
    }
  }

  function drawProgress() {
    const progress = model.progress || {};
    for (const item of grid.children) {
      const overlay = item.querySelector(".au-overlay");
      const state = progress[item.dataset.shotId];
      const generate = item.querySelector(".au-generate");
      if (!state) {
        overlay.hidden = true;
        overlay.replaceChildren();
        if (generate) generate.disabled = false;
        continue;
      }
      overlay.hidden = false;
      if (generate) generate.disabled = true;
      const percent = Math.round((state.progress || 0) * 100);
      let bar = overlay.querySelector("[role=progressbar]");
      if (!bar) {
        bar = document.createElement("div");
        bar.setAttribute("role", "progressbar");
        bar.setAttribute("aria-valuemin", "0");
        bar.setAttribute("aria-valuemax", "100");
        bar.setAttribute("aria-label", `Rendering ${item.getAttribute("aria-label")}`);
        const fill = document.createElement("div");
        fill.className = "au-fill";
        bar.append(fill);
        const step = document.createElement("div");
        step.className = "au-step";
        const cancel = button("Cancel", `Cancel ${item.getAttribute("aria-label")}`,
          () => send({ action: "cancel", id: item.dataset.shotId, task: overlay.dataset.task }));
        overlay.append(bar, step, cancel);
      }
      overlay.dataset.task = state.task || "";
      bar.setAttribute("aria-valuenow", String(percent));
      bar.querySelector(".au-fill").style.width = `${percent}%`;
      overlay.querySelector(".au-step").textContent = `${percent}% ${state.step || ""}`;
    }
  }

  model.on(["cards", "title", "qualities", "empty_text"], drawCards);
  model.on("selected", drawSelected);
  model.on("progress", drawProgress);
  drawCards();
}
