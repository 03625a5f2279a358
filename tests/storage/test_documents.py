"""Creative documents: files under 02_Source_Creative, registered in the manifest."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import pytest

from auteur.model import DocumentType
from auteur.storage import PROJECT_FILE, ProjectStore

pytestmark = pytest.mark.git


@pytest.mark.parametrize(
    ("doc_type", "folder", "suffix", "starts"),
    [
        ("treatment", "02_Source_Creative/Treatments", ".md", "# Draft One\n"),
        ("screenplay", "02_Source_Creative/Scripts", ".fountain", "Title: Draft One\n"),
        ("beat-sheet", "02_Source_Creative/Scripts", ".md", "# Draft One\n"),
        ("shot-list", "02_Source_Creative/ShotLists", ".csv", "address,code,description"),
    ],
)
def test_create_each_kind_in_its_folder(
    project: ProjectStore, doc_type: str, folder: str, suffix: str, starts: str
):
    events: list[Any] = []
    project.bus.subscribe(events.append)
    doc = project.documents.create(doc_type, "Draft One")
    assert doc.path == f"{folder}/Draft_One{suffix}"
    assert doc.type is DocumentType(doc_type)
    assert (project.path / doc.path).read_text(encoding="utf-8").startswith(starts)
    manifest = json.loads((project.path / PROJECT_FILE).read_text())
    assert manifest["documents"][0]["path"] == doc.path
    assert manifest["documents"][0]["type"] == doc_type
    assert ProjectStore.open(project.path).documents.get(doc.id).title == "Draft One"
    (event,) = events
    assert event.type == "creative_document_updated"
    assert event.document_type is DocumentType(doc_type) and event.path == doc.path


def test_list_get_read_update(project: ProjectStore):
    treatment = project.documents.create("treatment", "Story", "# Story\n\nOnce.\n")
    script = project.documents.create("screenplay", "Story", "FADE IN:\n")
    docs = project.documents
    assert [d.id for d in docs.list()] == [treatment.id, script.id]
    assert [d.id for d in docs.list("screenplay")] == [script.id]
    assert docs.get(treatment.path).id == treatment.id
    assert docs.get(script.id).id == script.id
    assert docs.read(treatment.id) == "# Story\n\nOnce.\n"

    events: list[Any] = []
    project.bus.subscribe(events.append)
    created, modified = script.created, script.modified
    updated = docs.update(script.id, "FADE IN:\n\nINT. ROOF - NIGHT\n")
    assert docs.read(script.id).endswith("INT. ROOF - NIGHT\n")
    assert updated.created == created and updated.modified >= modified
    assert [e.type for e in events] == ["creative_document_updated"]
    reopened = ProjectStore.open(project.path)
    assert reopened.documents.read(script.path) == "FADE IN:\n\nINT. ROOF - NIGHT\n"
    with pytest.raises(LookupError, match="no creative document named 'Nope'"):
        docs.get("Nope")


def test_an_existing_file_is_never_overwritten(project: ProjectStore):
    folder = project.path / "02_Source_Creative" / "Treatments"
    (folder / "Pitch.md").write_text("written by hand")
    (folder / "Pitch_2.md").write_text("also by hand")
    doc = project.documents.create("treatment", "Pitch", "new")
    assert doc.path.endswith("/Pitch_3.md")
    assert (folder / "Pitch.md").read_text() == "written by hand"
    assert (folder / "Pitch_2.md").read_text() == "also by hand"


def test_same_title_same_kind_is_refused(project: ProjectStore):
    project.documents.create("treatment", "Pitch")
    with pytest.raises(FileExistsError, match="a treatment titled 'Pitch' already exists"):
        project.documents.create("treatment", "Pitch")
    project.documents.create("screenplay", "Pitch")  # another kind may share the title
    assert len(project.documents.list()) == 2


@pytest.mark.parametrize(
    ("title", "file_name"),
    [
        ("../../outside", "outside.md"),  # never outside its folder
        ("Act 1: The Roof", "Act_1_The_Roof.md"),
        ("CON", "CON_.md"),
    ],
)
def test_titles_make_safe_file_names(project: ProjectStore, title: str, file_name: str):
    doc = project.documents.create("treatment", title)
    assert doc.path == f"02_Source_Creative/Treatments/{file_name}"
    assert doc.title == title


@pytest.mark.parametrize("title", ["", "..", "bad\x00title"])
def test_unusable_titles_are_refused(project: ProjectStore, title: str):
    with pytest.raises(ValueError):
        project.documents.create("treatment", title)
    assert project.documents.list() == []


def test_unknown_kind_is_refused(project: ProjectStore):
    with pytest.raises(ValueError, match="poem"):
        project.documents.create("poem", "Ode")


def test_starters_follow_the_project(project: ProjectStore):
    project.add_scene("1", "Roof")
    project.add_shot("1/1", "Mara looks down", framing="close-up", duration=30)
    beats = project.documents.read(project.documents.create("beat-sheet", "Beats").id)
    for beat in project.project.narrative.emotional_beats:
        assert f"## {beat.name}" in beats
    shot_list = project.documents.read(project.documents.create("shot-list", "Shots").id)
    rows = list(csv.DictReader(io.StringIO(shot_list)))
    assert rows == [
        {
            "address": "1/1/1",
            "code": "S01_S01",
            "description": "Mara looks down",
            "framing": "close-up",
            "duration": "30",
            "shot_id": project.locate("1/1/1").item.id,
        }
    ]


def test_a_document_path_outside_the_project_is_refused(project: ProjectStore):
    data = json.loads((project.path / PROJECT_FILE).read_text())
    data["documents"] = [
        {"id": "doc-evil", "type": "treatment", "title": "Evil", "path": "../../etc/passwd"}
    ]
    (project.path / PROJECT_FILE).write_text(json.dumps(data))
    store = ProjectStore.open(project.path)
    with pytest.raises(ValueError, match="points outside the project"):
        store.documents.read("doc-evil")
    with pytest.raises(ValueError, match="points outside the project"):
        store.documents.update("doc-evil", "overwrite")
