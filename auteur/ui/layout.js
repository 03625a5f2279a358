// Three panes with draggable, collapsible borders. Sizes persist in localStorage.
// Also the studio's keyboard shortcuts: Ctrl+Z undoes, Ctrl+Shift+Z (or Ctrl+Y) redoes.

const KEY = "auteur.studio.layout.v1";
const MIN = 160;
const STEP = 24;

function load(model) {
  const fallback = {
    left: model.left_width, right: model.right_width, leftCollapsed: false, rightCollapsed: false,
  };
  try {
    return { ...fallback, ...JSON.parse(window.localStorage.getItem(KEY) || "{}") };
  } catch (err) {
    return fallback;
  }
}

function isTextField(target) {
  if (!target || !target.tagName) return false;
  const tag = target.tagName.toUpperCase();
  return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || target.isContentEditable;
}

export function render({ model, el }) {
  const state = load(model);
  const root = document.createElement("div");
  root.className = "au-shell";

  const panes = {};
  const toggles = {};
  const splitters = {};
  for (const side of ["left", "center", "right"]) {
    const pane = document.createElement(side === "center" ? "main" : "section");
    pane.className = `au-pane au-${side}`;
    pane.setAttribute("aria-label", { left: "Browser", center: "Main view", right: "Inspector" }[side]);
    const child = model.get_child(side);
    if (child) pane.append(child);
    panes[side] = pane;
  }

  function makeSplitter(side) {
    const bar = document.createElement("div");
    bar.className = `au-splitter au-splitter-${side}`;
    const handle = document.createElement("div");
    handle.className = "au-handle";
    handle.setAttribute("role", "separator");
    handle.setAttribute("aria-orientation", "vertical");
    handle.setAttribute("aria-label", `Resize ${side} pane`);
    handle.tabIndex = 0;
    const toggle = document.createElement("button");
    toggle.className = "au-toggle";
    toggle.type = "button";
    toggle.addEventListener("click", () => setCollapsed(side, !collapsed(side)));
    bar.append(toggle, handle);
    toggles[side] = toggle;
    splitters[side] = handle;

    handle.addEventListener("pointerdown", (event) => {
      if (collapsed(side)) return;
      event.preventDefault();
      handle.setPointerCapture(event.pointerId);
      const startX = event.clientX;
      const start = state[side];
      const move = (ev) => {
        const delta = side === "left" ? ev.clientX - startX : startX - ev.clientX;
        state[side] = clamp(start + delta);
        apply();
      };
      const up = () => {
        handle.removeEventListener("pointermove", move);
        handle.removeEventListener("pointerup", up);
        handle.removeEventListener("pointercancel", up);
        save(side);
      };
      handle.addEventListener("pointermove", move);
      handle.addEventListener("pointerup", up);
      handle.addEventListener("pointercancel", up);
    });
    handle.addEventListener("keydown", (event) => {
      const grow = side === "left" ? "ArrowRight" : "ArrowLeft";
      const shrink = side === "left" ? "ArrowLeft" : "ArrowRight";
      if (event.key === grow || event.key === shrink) {
        event.preventDefault();
        state[side] = clamp(state[side] + (event.key === grow ? STEP : -STEP));
        apply();
        save(side);
      } else if (event.key === "Enter") {
        event.preventDefault();
        setCollapsed(side, !collapsed(side));
      }
    });
    return bar;
  }

  const clamp = (width) => Math.max(MIN, Math.min(Math.round(width), Math.max(MIN, window.innerWidth * 0.6)));
  const collapsed = (side) => state[`${side}Collapsed`];

  function setCollapsed(side, value) {
    state[`${side}Collapsed`] = value;
    apply();
    save(side);
  }

  function apply() {
    for (const side of ["left", "right"]) {
      const isCollapsed = collapsed(side);
      root.style.setProperty(`--au-${side}`, isCollapsed ? "0px" : `${state[side]}px`);
      panes[side].hidden = isCollapsed;
      toggles[side].setAttribute("aria-label", `${isCollapsed ? "Expand" : "Collapse"} ${side} pane`);
      toggles[side].setAttribute("aria-expanded", String(!isCollapsed));
      toggles[side].textContent = (side === "left") === isCollapsed ? "\u203a" : "\u2039";
      splitters[side].setAttribute("aria-valuenow", String(isCollapsed ? 0 : state[side]));
    }
  }

  function save(side) {
    try {
      window.localStorage.setItem(KEY, JSON.stringify(state));
    } catch (err) {
      // Private windows may refuse storage; the sizes then last for this page only.
    }
    model.send_msg({ type: "panel_resize", panel: side, width: collapsed(side) ? 0 : state[side] });
    // Some plots and tables measure themselves only on a window resize.
    window.dispatchEvent(new Event("resize"));
  }

  root.append(panes.left, makeSplitter("left"), panes.center, makeSplitter("right"), panes.right);
  apply();
  el.append(root);

  model.on("msg:custom", (msg) => {
    if (msg && msg.expand && collapsed(msg.expand)) setCollapsed(msg.expand, false);
  });

  const onKey = (event) => {
    if (!(event.ctrlKey || event.metaKey) || event.altKey) return;
    const key = event.key.toLowerCase();
    if (key !== "z" && key !== "y") return;
    const path = event.composedPath();
    if (isTextField(path[0])) return; // text fields keep their own undo
    const inside = path.includes(el) || path[0] === document.body || path[0] === document.documentElement;
    if (!inside) return;
    event.preventDefault();
    model.send_msg({ type: "shortcut", action: key === "y" || event.shiftKey ? "redo" : "undo" });
  };
  document.addEventListener("keydown", onKey);
  model.on("remove", () => document.removeEventListener("keydown", onKey));
}
