"""`auteur doc new|list|show|update`."""

from __future__ import annotations

from pathlib import Path

import pytest

from auteur.config import load_settings
from auteur.storage import GitService

from .conftest import Run, plain

pytestmark = pytest.mark.git


def test_new_document_from_the_starter_template(cli: Run, film: Path) -> None:
    path = Path(cli("doc", "new", film, "treatment", "First Draft").stdout.strip())
    assert path == film / "02_Source_Creative" / "Treatments" / "First_Draft.md"
    assert path.read_text().startswith("# First Draft\n")
    assert cli("doc", "show", film, "First Draft").stdout == path.read_text()


def test_new_document_from_a_file_and_from_stdin(cli: Run, film: Path, tmp_path: Path) -> None:
    source = tmp_path / "pages.fountain"
    source.write_text("INT. HARBOUR - NIGHT\n\nWaves.\n")
    path = Path(cli("doc", "new", film, "screenplay", "Script", "--file", source).stdout.strip())
    assert path.suffix == ".fountain"
    assert path.read_text() == source.read_text()
    cli("doc", "new", film, "beat-sheet", "Beats", "-f", "-", input="# Beats\n")
    assert cli("doc", "show", film, "Beats").stdout == "# Beats\n"


def test_list_and_filter_by_type(cli: Run, film: Path) -> None:
    cli("doc", "new", film, "treatment", "Treatment One")
    cli("doc", "new", film, "shot-list", "Shots")
    table = cli("doc", "list", film).stdout
    assert "Treatment One" in table
    assert "Shots" in table
    only = cli("doc", "list", film, "--type", "shot-list").stdout
    assert "Shots" in only
    assert "Treatment One" not in only


def test_list_without_documents_says_how_to_make_one(cli: Run, film: Path) -> None:
    assert "auteur doc new" in cli("doc", "list", film).stdout


def test_update_from_a_file_and_from_stdin(cli: Run, film: Path, tmp_path: Path) -> None:
    path = Path(cli("doc", "new", film, "treatment", "Draft").stdout.strip())
    source = tmp_path / "v2.md"
    source.write_text("# Draft v2\n")
    assert cli("doc", "update", film, "Draft", source).stdout.strip() == str(path)
    assert path.read_text() == "# Draft v2\n"
    cli("doc", "update", film, "Draft", "-", input="# Draft v3\n")
    assert path.read_text() == "# Draft v3\n"
    git = GitService(film, load_settings(film.parent.parent))
    assert git.is_clean()
    assert git.log(limit=1)[0].message == "Update treatment Draft"


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (("show", "Missing"), 1, "no creative document named 'Missing'"),
        (("update", "Missing", "-"), 1, "no creative document named 'Missing'"),
        (("new", "treatment", "T", "--file", "/no/such/file"), 1, "No such file or directory"),
        (("new", "novel", "T"), 2, "'treatment', 'screenplay', 'beat-sheet', 'shot-list'"),
    ],
)
def test_bad_input_fails_clearly(
    cli: Run, film: Path, args: tuple[str, ...], code: int, message: str
) -> None:
    command, *rest = args
    result = cli("doc", command, film, *rest, code=code, input="text")
    assert message in plain(result.stderr)


def test_a_title_taken_by_a_document_of_the_same_kind_is_refused(cli: Run, film: Path) -> None:
    cli("doc", "new", film, "treatment", "Draft")
    result = cli("doc", "new", film, "treatment", "Draft", code=1)
    assert "a treatment titled 'Draft' already exists" in result.stderr
