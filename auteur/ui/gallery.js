// The project gallery: a card per project with its thumbnail, quality, structure and date,
// and Open / Delete buttons. Deleting asks for confirmation on the card itself.

function button(text, label, onClick, className = "") {
  const b = document.createElement("button");
  b.type = "button";
  b.textContent = text;
  b.setAttribute("aria-label", label);
  b.className = className;
  b.addEventListener("click", (event) => {
    event.stopPropagation();
    onClick();
  });
  return b;
}

export function render({ model, el }) {
  const grid = document.createElement("div");
  grid.className = "au-gallery";
  grid.setAttribute("role", "list");
  grid.setAttribute("aria-label", "Projects");
  const empty = document.createElement("p");
  empty.className = "au-empty";
  el.append(grid, empty);

  const send = (action, path) => model.send_msg({ action, path });

  function card(project) {
    const item = document.createElement("article");
    item.className = "au-project";
    item.setAttribute("role", "listitem");
    item.setAttribute("aria-label", project.name);
    const frame = document.createElement("div");
    frame.className = "au-thumb";
    if (project.thumb) {
      const img = document.createElement("img");
      img.src = project.thumb;
      img.alt = `${project.name} thumbnail`;
      frame.append(img);
    } else {
      frame.textContent = project.error ? "Unreadable" : "No take yet";
    }
    frame.addEventListener("dblclick", () => send("open", project.path));
    const name = document.createElement("h3");
    name.textContent = project.name;
    const facts = document.createElement("dl");
    for (const [term, value] of project.facts) {
      const dt = document.createElement("dt");
      dt.textContent = term;
      const dd = document.createElement("dd");
      dd.textContent = value;
      facts.append(dt, dd);
    }
    const actions = document.createElement("div");
    actions.className = "au-actions";
    const normal = () => {
      actions.replaceChildren(
        button("Open", `Open ${project.name}`, () => send("open", project.path), "au-primary"),
        button("Delete", `Delete ${project.name}`, confirm, "au-danger"),
      );
    };
    const confirm = () => {
      const question = document.createElement("span");
      question.setAttribute("role", "alert");
      question.textContent = "Move to the trash?";
      actions.replaceChildren(
        question,
        button("Confirm delete", `Confirm delete ${project.name}`, () => send("delete", project.path), "au-danger"),
        button("Cancel", `Keep ${project.name}`, normal),
      );
    };
    normal();
    item.append(frame, name, facts, actions);
    if (project.error) {
      const problem = document.createElement("p");
      problem.className = "au-problem";
      problem.textContent = project.error;
      item.append(problem);
    }
    return item;
  }

  function draw() {
    grid.replaceChildren(...model.projects.map(card));
    empty.textContent = model.projects.length ? "" : "No project yet: create one with New Project.";
  }

  model.on("projects", draw);
  draw();
}
