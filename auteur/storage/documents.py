"""Creative documents: treatment, screenplay (Fountain), beat sheet and shot list."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import TYPE_CHECKING

from ..model import CreativeDocument, CreativeDocumentUpdatedEvent, DocumentType, utcnow
from ..model.address import shot_code
from ._atomic import atomic_write
from .names import check_name, safe_folder_name

if TYPE_CHECKING:
    from .store import ProjectStore

__all__ = ["DOCUMENT_FOLDERS", "Documents"]

#: Where each kind of document lives in the project, and its file extension.
DOCUMENT_FOLDERS: dict[DocumentType, tuple[str, str]] = {
    DocumentType.TREATMENT: ("02_Source_Creative/Treatments", ".md"),
    DocumentType.SCREENPLAY: ("02_Source_Creative/Scripts", ".fountain"),
    DocumentType.BEAT_SHEET: ("02_Source_Creative/Scripts", ".md"),
    DocumentType.SHOT_LIST: ("02_Source_Creative/ShotLists", ".csv"),
}


class Documents:
    """The creative documents of one project. Files are written atomically."""

    def __init__(self, store: ProjectStore) -> None:
        self._store = store

    def list(self, doc_type: DocumentType | str | None = None) -> list[CreativeDocument]:
        """Every registered document, or those of `doc_type`."""
        docs = self._store.project.documents
        if doc_type is not None:
            docs = [d for d in docs if d.type == DocumentType(doc_type)]
        return list(docs)

    def get(self, ref: str) -> CreativeDocument:
        """Find a document by id, title or path."""
        for doc in self._store.project.documents:
            if ref in (doc.id, doc.title, doc.path):
                return doc
        raise LookupError(f"no creative document named {ref!r}")

    def read(self, ref: str) -> str:
        """The text of a document."""
        return self._file(self.get(ref)).read_text(encoding="utf-8")

    def create(
        self, doc_type: DocumentType | str, title: str, content: str | None = None
    ) -> CreativeDocument:
        """Create a document file (never replacing one) and register it in the manifest."""
        doc_type = DocumentType(doc_type)
        store = self._store
        title = check_name(title, "document title", store.settings.max_name_length)
        folder, ext = DOCUMENT_FOLDERS[doc_type]
        stem = safe_folder_name(title, store.settings.max_folder_name_length)
        with store.transaction() as project:
            if any(d.title == title and d.type == doc_type for d in project.documents):
                raise FileExistsError(f"a {doc_type} titled {title!r} already exists")
            text = self._starter(doc_type, title) if content is None else content
            directory = store.path / folder
            directory.mkdir(parents=True, exist_ok=True)
            path = directory / f"{stem}{ext}"
            counter = 2
            while path.exists():
                path = directory / f"{stem}_{counter}{ext}"
                counter += 1
            atomic_write(path, text)
            doc = CreativeDocument(
                type=doc_type, title=title, path=path.relative_to(store.path).as_posix()
            )
            project.documents.append(doc)
            store.touch_manifest()
            store.emit(CreativeDocumentUpdatedEvent(document_type=doc_type, path=doc.path))
        return doc

    def update(self, ref: str, content: str) -> CreativeDocument:
        """Replace the text of a document."""
        store = self._store
        with store.transaction():
            doc = self.get(ref)
            atomic_write(self._file(doc), content)
            doc.modified = utcnow()
            store.touch_manifest()
            store.emit(CreativeDocumentUpdatedEvent(document_type=doc.type, path=doc.path))
        return doc

    def _file(self, doc: CreativeDocument) -> Path:
        path = (self._store.path / doc.path).resolve()
        if not path.is_relative_to(self._store.path):
            raise ValueError(f"document path {doc.path!r} points outside the project")
        return path

    def _starter(self, doc_type: DocumentType, title: str) -> str:
        project = self._store.project
        if doc_type is DocumentType.TREATMENT:
            return f"# {title}\n\n## Logline\n\n## Synopsis\n\n## Characters\n\n## Tone\n"
        if doc_type is DocumentType.SCREENPLAY:
            return f"Title: {title}\nAuthor:\n\nFADE IN:\n\n"
        if doc_type is DocumentType.BEAT_SHEET:
            lines = [f"# {title}", ""]
            for beat in project.narrative.emotional_beats:
                lines += [f"## {beat.name}", beat.description, ""]
            return "\n".join(lines)
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["address", "code", "description", "framing", "duration", "shot_id"])
        for chapter, scene, shot in self._store.iter_shots():
            address = f"{chapter.number}/{scene.number}/{shot.number}"
            framing = shot.framing.value if shot.framing else ""
            code = shot_code(scene, shot)
            writer.writerow([address, code, shot.description, framing, shot.duration, shot.id])
        return out.getvalue()
