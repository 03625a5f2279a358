// The asset library of one category: thumbnails grouped in folders, each draggable onto a shot
// of the storyboard, and a drop zone (or a file picker) that uploads files in chunks.

const ASSET_MIME = "application/x-auteur-asset";

export function render({ model, el }) {
  const root = document.createElement("div");
  root.className = "au-assets";
  const zone = document.createElement("div");
  zone.className = "au-drop";
  zone.setAttribute("role", "region");
  const picker = document.createElement("input");
  picker.type = "file";
  picker.multiple = true;
  picker.className = "au-picker";
  const pickerLabel = document.createElement("label");
  pickerLabel.className = "au-drop-text";
  pickerLabel.append(picker);
  const hint = document.createElement("span");
  pickerLabel.append(hint);
  zone.append(pickerLabel);
  const list = document.createElement("div");
  list.className = "au-asset-list";
  const empty = document.createElement("p");
  empty.className = "au-empty";
  root.append(zone, list, empty);
  el.append(root);

  let counter = 0;

  function readChunk(file, start, end) {
    return new Promise((resolve, reject) => {
      const reader = new FileReader();
      reader.onload = () => resolve(String(reader.result).split(",", 2)[1] || "");
      reader.onerror = () => reject(reader.error);
      reader.readAsDataURL(file.slice(start, end));
    });
  }

  async function upload(files) {
    const size = model.chunk_size;
    for (const file of files) {
      const id = `${Date.now()}-${counter++}`;
      model.send_msg({ action: "upload_start", upload: id, name: file.name, size: file.size });
      try {
        for (let start = 0; start < file.size; start += size) {
          const data = await readChunk(file, start, Math.min(file.size, start + size));
          model.send_msg({ action: "upload_chunk", upload: id, data });
        }
        model.send_msg({ action: "upload_end", upload: id });
      } catch (error) {
        model.send_msg({ action: "upload_error", upload: id, error: String(error) });
      }
    }
  }

  picker.addEventListener("change", () => {
    const files = [...picker.files];
    picker.value = "";
    upload(files);
  });
  zone.addEventListener("dragover", (event) => {
    if (event.dataTransfer && [...event.dataTransfer.types].includes("Files")) {
      event.preventDefault();
      zone.classList.add("au-over");
    }
  });
  zone.addEventListener("dragleave", () => zone.classList.remove("au-over"));
  zone.addEventListener("drop", (event) => {
    zone.classList.remove("au-over");
    if (event.dataTransfer && event.dataTransfer.files.length) {
      event.preventDefault();
      upload([...event.dataTransfer.files]);
    }
  });

  function tile(item) {
    const card = document.createElement("div");
    card.className = "au-asset";
    card.setAttribute("role", "option");
    card.setAttribute("aria-label", item.name);
    card.setAttribute("aria-selected", String(item.id === model.selected));
    card.dataset.assetId = item.id;
    card.tabIndex = 0;
    card.draggable = true;
    card.addEventListener("dragstart", (event) => {
      event.dataTransfer.setData(ASSET_MIME, item.id);
      event.dataTransfer.setData("text/plain", item.name);
      event.dataTransfer.effectAllowed = "copy";
    });
    const pick = () => model.send_msg({ action: "select", id: item.id });
    card.addEventListener("click", pick);
    card.addEventListener("keydown", (event) => {
      if (event.key === "Enter" || event.key === " ") {
        event.preventDefault();
        pick();
      }
    });
    const frame = document.createElement("div");
    frame.className = "au-thumb";
    if (item.thumb) {
      const img = document.createElement("img");
      img.src = item.thumb;
      img.alt = `${item.name} thumbnail`;
      frame.append(img);
    } else {
      frame.textContent = item.icon;
    }
    const name = document.createElement("div");
    name.className = "au-asset-name";
    name.textContent = item.name;
    const note = document.createElement("div");
    note.className = "au-asset-note";
    note.textContent = item.note;
    card.append(frame, name, note);
    return card;
  }

  function draw() {
    hint.textContent = model.drop_text;
    picker.setAttribute("aria-label", model.drop_text);
    zone.setAttribute("aria-label", model.drop_text);
    list.replaceChildren();
    for (const folder of model.folders) {
      const group = document.createElement("section");
      group.className = "au-folder";
      const title = document.createElement("h4");
      title.textContent = folder.name;
      const grid = document.createElement("div");
      grid.className = "au-asset-grid";
      grid.setAttribute("role", "listbox");
      grid.setAttribute("aria-label", folder.name);
      for (const item of folder.items) grid.append(tile(item));
      group.append(title, grid);
      list.append(group);
    }
    empty.textContent = model.folders.length ? "" : model.empty_text;
  }

  draw();
  model.on("change:folders", draw);
  model.on("change:selected", draw);
  model.on("change:drop_text", draw);
  model.on("change:empty_text", draw);
}
