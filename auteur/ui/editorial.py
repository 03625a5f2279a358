"""The editorial panel: import a screenplay or a shot list, and export animatic, storyboard
and timeline into the project's ``06_Exports``."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import panel as pn
import param

from ..model import TaskFailedEvent, TaskProgressEvent, TaskSuccessEvent
from ..model.screenplay import ShotSplit
from ..storage import ProjectStore
from .session import StudioSession, describe_error

__all__ = ["EXPORTS", "EditorialPanel"]

#: What the export buttons make: label, and the function of `auteur.export` that makes it.
EXPORTS = {
    "animatic": "Animatic (MP4)",
    "storyboard": "Storyboard (PDF)",
    "timeline": "Timeline (OTIO, EDL, FCP XML)",
}


def _export(kind: str, store: ProjectStore, scope: str | None, progress: Any) -> list[Path]:
    from .. import export  # PyAV, fpdf2 and OpenTimelineIO load only when exporting

    if kind == "animatic":
        return [export.export_animatic(store, scope, progress=progress)]
    if kind == "storyboard":
        return [export.export_storyboard(store, scope, progress=progress)]
    return list(export.export_timeline(store, scope, progress=progress))


class EditorialPanel(pn.viewable.Viewer):
    """Screenplay and shot list in; animatic, storyboard and timeline out."""

    session = param.ClassSelector(class_=StudioSession, doc="The studio session.")

    def __init__(self, **params: Any) -> None:
        super().__init__(**params)
        self.script = pn.widgets.FileInput(accept=".fountain,.spmd,.txt", label="Screenplay")
        self.split = pn.widgets.Select(
            label="Draft shots",
            options={
                "One per action block": ShotSplit.ACTION.value,
                "Also one per speech": ShotSplit.SPEECH.value,
                "One per scene": ShotSplit.SCENE.value,
            },
            value=ShotSplit.ACTION.value,
        )
        self.import_button = pn.widgets.Button(label="Import screenplay", color="primary")
        self.import_button.on_click(lambda e: self.import_script())
        self.shot_list = pn.widgets.FileInput(accept=".csv", label="Shot list")
        self.shot_list_button = pn.widgets.Button(label="Import shot list")
        self.shot_list_button.on_click(lambda e: self.import_shot_list())
        self.download = pn.widgets.FileDownload(
            callback=self._shot_list_file, filename="shot_list.csv", label="Download shot list"
        )
        self.scope = pn.widgets.TextInput(
            label="Export what",
            placeholder="Whole film, or a chapter, scene or shot: 1, 1/2, 1/2/3",
        )
        self.export_buttons = []
        for kind, label in EXPORTS.items():
            button = pn.widgets.Button(label=f"Export {label}")
            button.on_click(lambda e, kind=kind: self.export(kind))
            self.export_buttons.append(button)
        self.outputs = pn.pane.HTML("", sizing_mode="stretch_width")
        self.session.param.watch(self._list_outputs, ["store", "files"])
        self._list_outputs()

    def __panel__(self) -> pn.viewable.Viewable:
        return pn.Column(
            pn.pane.HTML("<h3 style='margin:4px 0'>Screenplay</h3>"),
            pn.Row(self.script, self.split, self.import_button),
            pn.pane.HTML("<h3 style='margin:4px 0'>Shot list</h3>"),
            pn.Row(self.download, self.shot_list, self.shot_list_button),
            pn.pane.HTML("<h3 style='margin:4px 0'>Exports</h3>"),
            self.scope,
            pn.Row(*self.export_buttons),
            self.outputs,
            sizing_mode="stretch_width",
        )

    # ------------------------------------------------------------ importing

    def import_script(self) -> None:
        """Import the chosen Fountain file into the open project."""
        store = self.session.store
        if store is None or not self.script.value:
            self.session.notify("warning", "Choose a Fountain screenplay to import first")
            return
        from ..storage.script_import import import_script_text

        name = Path(self.script.filename or "Screenplay").stem
        with self.session.reporting(f"Importing {name}"):
            text = self._text(self.script.value, name)
            report = import_script_text(store, text, name=name, split=self.split.value)
            store.autocommit(f"Import screenplay {name}")
            self.session.sync()
            self.session.notify("success", report.summary())

    def import_shot_list(self) -> None:
        """Apply the chosen shot list CSV to the open project."""
        store = self.session.store
        if store is None or not self.shot_list.value:
            self.session.notify("warning", "Choose a shot list CSV to import first")
            return
        from ..storage.shotlist import import_shot_list

        with self.session.reporting("Importing the shot list"):
            report = import_shot_list(store, self._text(self.shot_list.value, "shot list"))
            store.autocommit("Import shot list")
            self.session.sync()
            self.session.notify(
                "success",
                f"Shot list imported: {len(report.updated)} shot(s) updated, "
                f"{len(report.added)} added, {report.unchanged} unchanged",
            )

    @staticmethod
    def _text(data: bytes, what: str) -> str:
        try:
            return data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ValueError(f"{what} is not UTF-8 text") from None

    def _shot_list_file(self) -> Any:
        import io

        from ..storage.shotlist import shot_list_csv

        store = self.session.store
        text = shot_list_csv(store) if store is not None else ""
        return io.BytesIO(text.encode("utf-8"))

    # ------------------------------------------------------------ exporting

    def export(self, kind: str, wait: bool = False) -> str:
        """Export `kind` in the background, with progress in the progress area; return its task."""
        store = self.session.store
        if store is None:
            return ""
        scope = self.scope.value.strip() or None
        task_id = f"export-{kind}-{uuid.uuid4().hex[:6]}"
        label = f"{EXPORTS[kind]}" + (f" of {scope}" if scope else "")
        self.session.tasks.start(task_id, None, label, step="starting")
        self.session.expand_progress = True
        publish = store.bus.publish

        def progress(done: int, total: int) -> None:
            fraction = done / total if total else 0.0
            step = f"{done} of {total}"
            publish(TaskProgressEvent(task_id=task_id, progress=min(fraction, 1.0), step=step))

        def run() -> None:
            try:
                paths = _export(kind, store, scope, progress)
            except Exception as exc:
                publish(TaskFailedEvent(task_id=task_id, error=describe_error(exc)))
                return
            rel = [p.relative_to(store.path).as_posix() for p in paths]
            publish(TaskSuccessEvent(task_id=task_id, result={"outputPath": rel[0], "all": rel}))
            self.session.call_soon(self._list_outputs)

        self._start(run, wait)
        return task_id

    @staticmethod
    def _start(run: Callable[[], None], wait: bool) -> None:
        thread = threading.Thread(target=run, name="auteur-export", daemon=True)
        thread.start()
        if wait:
            thread.join()

    def _list_outputs(self, *_: Any) -> None:
        store = self.session.store
        folder = store.path / "06_Exports" if store is not None else None
        present = folder is not None and folder.is_dir()
        files = sorted(p for p in folder.iterdir() if p.is_file()) if present else []
        files = [p for p in files if not p.name.startswith(".")]
        if not files:
            self.outputs.object = "<p><i>Nothing exported yet.</i></p>"
            return
        items = "".join(
            f"<li><code>06_Exports/{p.name}</code> ({p.stat().st_size / 1e6:.1f} MB)</li>"
            for p in files
        )
        self.outputs.object = f"<ul>{items}</ul>"
