"""compose.yaml and the images: the file parses, and every command it names exists."""

from __future__ import annotations

import re
from importlib import metadata
from pathlib import Path
from typing import Any

import pytest
import typer
import yaml

ROOT = Path(__file__).parents[2]
COMPOSE = ROOT / "compose.yaml"
DOCKERFILE = ROOT / "docker" / "Dockerfile"

#: Commands that later issues add to `auteur`; the xfail goes once they are there.
PENDING: dict[str, str] = {}


def compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))


def dockerfile_commands() -> dict[str, list[str]]:
    """Each Dockerfile stage's CMD, as a list."""
    commands: dict[str, list[str]] = {}
    stage = ""
    for line in DOCKERFILE.read_text(encoding="utf-8").splitlines():
        if match := re.match(r"FROM \S+ AS (\S+)", line):
            stage = match.group(1)
        elif line.startswith("CMD "):
            commands[stage] = yaml.safe_load(line[4:])
    return commands


def resolve(argv: list[str]) -> Any:
    """The click command `argv` runs, checking each sub-command and option it names."""
    program, *args = argv
    if program == "auteur":
        from auteur.cli import app

        command = typer.main.get_command(app)
    elif program == "dask":
        subcommands = {e.name: e for e in metadata.entry_points(group="dask_cli")}
        assert args and args[0] in subcommands, f"`dask {args[:1]}` is not a dask command"
        command, args = subcommands[args[0]].load(), args[1:]
    else:
        raise AssertionError(f"{program} is neither `auteur` nor `dask`")
    # Typer carries its own copy of click, so groups are told by their sub-commands.
    while isinstance(getattr(command, "commands", None), dict) and args and args[0][0] != "-":
        name, *args = args
        found = command.commands.get(name)
        assert found is not None, f"`{program} ... {name}` is not a command"
        command = found
    options = {opt for param in command.params for opt in param.opts}
    for arg in args:
        if arg.startswith("-"):
            assert arg.split("=")[0] in options, f"{' '.join(argv)}: {arg} is not an option"
    return command


def service_commands() -> list:
    params = []
    for name, service in compose()["services"].items():
        argv = service["command"]
        marks = []
        if argv[0] == "auteur" and argv[1] in PENDING:
            marks.append(
                pytest.mark.xfail(reason=f"`auteur {argv[1]}` comes with {PENDING[argv[1]]}")
            )
        params.append(pytest.param(argv, id=name, marks=marks))
    return params


def test_compose_has_the_services_volume_and_devices():
    data = compose()
    services = data["services"]
    assert {"studio", "lab", "scheduler", "worker"} <= set(services)
    assert "workspace" in data["volumes"]

    worker = services["worker"]
    command = worker["command"]
    assert command[:2] == ["dask", "worker"]
    assert command[command.index("--resources") + 1] == "GPU=1"
    [device] = worker["deploy"]["resources"]["reservations"]["devices"]
    assert device["capabilities"] == ["gpu"] and device["count"] == 1
    assert "/var/run/docker.sock:/var/run/docker.sock" in worker["volumes"]
    assert "workspace:/workspace:ro" in worker["volumes"]  # workers never write projects

    assert services["scheduler"]["command"][:2] == ["dask", "scheduler"]
    assert "--dashboard-address" in services["scheduler"]["command"]
    for client in ("studio", "lab"):
        assert "workspace:/workspace" in services[client]["volumes"]
        assert services[client]["environment"]["AUTEUR_SCHEDULER"] == "tcp://scheduler:8786"


def test_every_service_builds_a_stage_of_the_multi_stage_dockerfile():
    stages = re.findall(r"^FROM \S+ AS (\S+)", DOCKERFILE.read_text(encoding="utf-8"), re.M)
    assert "build" in stages  # wheels are built once, in a stage of their own
    for name, service in compose()["services"].items():
        build = service["build"]
        assert (ROOT / build["context"] / build["dockerfile"]) == DOCKERFILE
        assert build["target"] in stages, name


@pytest.mark.parametrize("argv", service_commands())
def test_every_command_of_compose_exists(argv: list[str]):
    resolve(argv)


def test_every_command_of_the_dockerfile_exists():
    for stage, argv in dockerfile_commands().items():
        if argv[0] == "auteur" and argv[1] in PENDING:
            continue  # checked through compose, where it is marked
        assert resolve(argv) is not None, stage


def test_the_check_notices_a_missing_command_or_option():
    with pytest.raises(AssertionError, match="is not a dask command"):
        resolve(["dask", "gateway"])
    with pytest.raises(AssertionError, match="--gpus-please is not an option"):
        resolve(["dask", "worker", "tcp://x:1", "--gpus-please", "1"])
