"""The editorial commands: import-script, export and shotlist."""

from __future__ import annotations

from pathlib import Path

import av
import opentimelineio as otio
import pytest
import typer
from typer.testing import CliRunner, Result

from auteur.cli import editorial
from auteur.cli.main import _AuteurGroup
from auteur.storage import ProjectStore

SAMPLE = Path(__file__).parents[1] / "data" / "sample.fountain"

pytestmark = pytest.mark.git


@pytest.fixture
def run():
    """Run the editorial commands as `auteur` runs them, errors reported the same way."""
    app = typer.Typer(cls=_AuteurGroup)
    app.add_typer(editorial.app)
    app.callback()(lambda: None)
    runner = CliRunner()

    def invoke(*args: object, code: int = 0, input: str | None = None) -> Result:
        result = runner.invoke(app, [str(a) for a in args], input=input)
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            raise result.exception
        assert result.exit_code == code, result.stdout + result.stderr
        return result

    return invoke


def test_import_then_export_everything(run, project: ProjectStore):
    project.update_project(resolution=(320, 180))
    result = run("import-script", project.path, SAMPLE)
    assert "7 scenes added, 11 shots added, 4 characters added, 4 locations added" in (
        " ".join(result.stdout.split())
    )
    script = Path(result.stdout.strip().splitlines()[-1])
    assert script.parent == project.path / "02_Source_Creative" / "Scripts"
    assert project.git.log(limit=1)[0].message.startswith("Import screenplay")

    again = run("import-script", project.path, SAMPLE)
    assert "no changes" in again.stdout

    project.refresh()  # the command changed the project through a store of its own
    (mp4,) = run("export", project.path, "animatic", "--scene", "1/2").stdout.split()
    with av.open(mp4) as container:
        assert container.streams.video[0].frames == project.locate("1/2/1").item.duration
    (pdf,) = run("export", project.path, "storyboard").stdout.split()
    assert Path(pdf).read_bytes().startswith(b"%PDF")
    timelines = run("export", project.path, "otio", "--no-music").stdout.split()
    assert [Path(p).suffix for p in timelines] == [".otio", ".edl", ".xml"]
    assert len(list(otio.adapters.read_from_file(timelines[0]).find_clips())) == 11


def test_shot_list_round_trip(run, project: ProjectStore, tmp_path: Path):
    run("import-script", project.path, SAMPLE, "--shots", "scene")
    csv_path = tmp_path / "shots.csv"
    assert run("shotlist", "export", project.path, csv_path).stdout.strip() == str(csv_path)
    text = csv_path.read_text(encoding="utf-8")
    assert run("shotlist", "export", project.path, "-").stdout == text
    assert (
        "0 shot(s) updated, 0 added, 7 unchanged."
        in run("shotlist", "import", project.path, csv_path).stdout
    )
    csv_path.write_text(text.replace("Waves crash", "Storm waves crash", 1), encoding="utf-8")
    assert "1 shot(s) updated" in run("shotlist", "import", project.path, csv_path).stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("import-script", "{project}", "{tmp}/missing.fountain"), "no such screenplay file"),
        (("import-script", "{project}", "{tmp}/bad.fountain"), "no scene headings found"),
        (("export", "{project}", "animatic"), "nothing to export: there are no shots"),
        (("export", "{project}", "storyboard", "--scene", "9/9"), "no chapter 9"),
        (("shotlist", "import", "{project}", "{tmp}/bad.fountain"), "neither a shot_id"),
    ],
)
def test_errors_are_reported_plainly(run, project: ProjectStore, tmp_path: Path, args, message):
    (tmp_path / "bad.fountain").write_text("Just words.\n", encoding="utf-8")
    filled = [a.format(project=project.path, tmp=tmp_path) for a in args]
    result = run(*filled, code=1)
    assert result.stderr.startswith("Error: ") and message in result.stderr
