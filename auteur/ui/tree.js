// The project tree: a flat list of the visible rows, drawn as an ARIA tree.
// Python sends only the rows under expanded items, so big projects stay fast.
// Keys: arrows move and expand/collapse, Home/End, Enter selects, Alt+arrows reorder,
// F2 renames, Delete removes. Chapters, scenes and shots are dragged: onto the upper or lower
// half of a row of their kind to go before or after it, onto a row of their parent's kind to
// go in at the end.

// Plain geometric glyphs: every system font has them (emoji fonts are often missing).
// What a dragged row may be dropped into: its parent's kind.
const PARENT = { chapter: null, scene: "chapter", shot: "scene" };

const ICONS = {
  project: "\u25a0", chapter: "\u25a4", scene: "\u25a6", shot: "\u25ad", take: "\u25e6",
  category: "\u25a4", asset: "\u25c6",
};

export function render({ model, el }) {
  const tree = document.createElement("ul");
  tree.className = "au-tree";
  tree.setAttribute("role", "tree");
  tree.setAttribute("aria-label", model.label);
  el.append(tree);

  let rows = [];
  let focusId = model.selected;

  function rowElement(id) {
    return tree.querySelector(`[data-node-id="${CSS.escape(id)}"]`);
  }

  function draw() {
    const hadFocus = el.getRootNode().activeElement && tree.contains(el.getRootNode().activeElement);
    rows = model.nodes;
    const fragment = document.createDocumentFragment();
    for (const node of rows) {
      const item = document.createElement("li");
      item.setAttribute("role", "treeitem");
      item.dataset.nodeId = node.id;
      item.dataset.kind = node.kind;
      item.setAttribute("aria-level", String(node.depth + 1));
      item.setAttribute("aria-selected", String(node.id === model.selected));
      if (node.expandable) item.setAttribute("aria-expanded", String(node.expanded));
      item.tabIndex = -1;
      if (node.kind in PARENT) item.draggable = true;
      item.style.paddingLeft = `${node.depth * 16 + 4}px`;
      const twisty = document.createElement("span");
      twisty.className = "au-twisty";
      twisty.setAttribute("aria-hidden", "true");
      twisty.textContent = node.expandable ? (node.expanded ? "\u25be" : "\u25b8") : "";
      const icon = document.createElement("span");
      icon.className = "au-icon";
      icon.setAttribute("aria-hidden", "true");
      icon.textContent = ICONS[node.kind] || "";
      const label = document.createElement("span");
      label.className = "au-label";
      label.textContent = node.label;
      item.append(twisty, icon, label);
      if (node.badge) {
        const badge = document.createElement("span");
        badge.className = "au-badge";
        badge.textContent = node.badge;
        item.append(badge);
      }
      fragment.append(item);
    }
    tree.replaceChildren(fragment);
    if (!rows.some((r) => r.id === focusId)) focusId = model.selected;
    const target = rowElement(focusId) || tree.firstElementChild;
    if (target) {
      target.tabIndex = 0;
      if (hadFocus) target.focus({ preventScroll: true });
    }
  }

  function markSelected() {
    for (const item of tree.children) {
      item.setAttribute("aria-selected", String(item.dataset.nodeId === model.selected));
    }
    const item = rowElement(model.selected);
    if (item) {
      setFocus(item, false);
      item.scrollIntoView({ block: "nearest" });
    }
  }

  function setFocus(item, focus = true) {
    for (const other of tree.querySelectorAll("[tabindex='0']")) other.tabIndex = -1;
    item.tabIndex = 0;
    focusId = item.dataset.nodeId;
    if (focus) item.focus();
  }

  function select(item) {
    setFocus(item);
    if (model.selected !== item.dataset.nodeId) model.selected = item.dataset.nodeId;
  }

  const send = (action, id, extra = {}) => model.send_msg({ action, id, ...extra });

  tree.addEventListener("click", (event) => {
    const item = event.target.closest("[role=treeitem]");
    if (!item) return;
    if (event.target.classList.contains("au-twisty")) send("toggle", item.dataset.nodeId);
    select(item);
  });
  tree.addEventListener("dblclick", (event) => {
    const item = event.target.closest("[role=treeitem]");
    if (item && item.hasAttribute("aria-expanded")) send("toggle", item.dataset.nodeId);
  });

  tree.addEventListener("keydown", (event) => {
    const item = event.target.closest("[role=treeitem]");
    if (!item) return;
    const id = item.dataset.nodeId;
    const expanded = item.getAttribute("aria-expanded");
    let next = null;
    if (event.altKey && (event.key === "ArrowUp" || event.key === "ArrowDown")) {
      send("move", id, { delta: event.key === "ArrowUp" ? -1 : 1 });
    } else if (event.key === "ArrowDown") {
      next = item.nextElementSibling;
    } else if (event.key === "ArrowUp") {
      next = item.previousElementSibling;
    } else if (event.key === "Home") {
      next = tree.firstElementChild;
    } else if (event.key === "End") {
      next = tree.lastElementChild;
    } else if (event.key === "ArrowRight") {
      if (expanded === "false") send("toggle", id);
      else if (expanded === "true") next = item.nextElementSibling;
    } else if (event.key === "ArrowLeft") {
      if (expanded === "true") send("toggle", id);
      else next = parentOf(item);
    } else if (event.key === "Enter" || event.key === " ") {
      select(item);
    } else if (event.key === "F2") {
      send("rename", id);
    } else if (event.key === "Delete") {
      send("delete", id);
    } else {
      return;
    }
    event.preventDefault();
    if (next) select(next);
  });

  // ---------------------------------------------------------------- drag and drop

  let dragged = null; // { id, kind } of the row being dragged
  let marked = null;

  function unmark() {
    if (marked) marked.classList.remove("au-drop-before", "au-drop-after", "au-drop-into");
    marked = null;
  }

  function placeFor(item, event) {
    // Where a drop on `item` would put the dragged row, or null where it cannot go.
    if (!dragged || item.dataset.nodeId === dragged.id) return null;
    const kind = item.dataset.kind;
    if (kind === dragged.kind) {
      const box = item.getBoundingClientRect();
      return event.clientY < box.top + box.height / 2 ? "before" : "after";
    }
    return kind === PARENT[dragged.kind] ? "into" : null;
  }

  tree.addEventListener("dragstart", (event) => {
    const item = event.target.closest("[role=treeitem]");
    if (!item || !item.draggable) return;
    dragged = { id: item.dataset.nodeId, kind: item.dataset.kind };
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", item.querySelector(".au-label").textContent);
  });
  tree.addEventListener("dragover", (event) => {
    const item = event.target.closest("[role=treeitem]");
    const place = item ? placeFor(item, event) : null;
    if (item !== marked || !place) unmark();
    if (!place) return;
    event.preventDefault(); // a drop is allowed here
    event.dataTransfer.dropEffect = "move";
    item.classList.remove("au-drop-before", "au-drop-after", "au-drop-into");
    item.classList.add(`au-drop-${place}`);
    marked = item;
  });
  tree.addEventListener("dragleave", (event) => {
    if (marked && !marked.contains(event.relatedTarget)) unmark();
  });
  tree.addEventListener("drop", (event) => {
    const item = event.target.closest("[role=treeitem]");
    const place = item ? placeFor(item, event) : null;
    unmark();
    if (!place) return;
    event.preventDefault();
    send("drop", dragged.id, { target: item.dataset.nodeId, place });
    dragged = null;
  });
  tree.addEventListener("dragend", () => {
    unmark();
    dragged = null;
  });

  function parentOf(item) {
    const level = Number(item.getAttribute("aria-level"));
    let node = item.previousElementSibling;
    while (node && Number(node.getAttribute("aria-level")) >= level) node = node.previousElementSibling;
    return node;
  }

  model.on("nodes", draw);
  model.on("selected", markSelected);
  draw();
}
