"""Render commands: `auteur render`, `auteur worker` and `auteur quality`.

Register them with ``app.add_typer(render.app)``. Dask loads only when a command runs.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from ..model import Quality
from ._common import ProjectArg, WorkspaceOption, console, open_project, settings_for

if TYPE_CHECKING:
    from ..render.service import RenderHandle, RenderService

__all__ = ["app"]

app = typer.Typer(no_args_is_help=True)

_PANEL = "Render"

SchedulerOption = Annotated[
    str | None,
    typer.Option(
        "--scheduler",
        help="Dask scheduler, e.g. tcp://host:8786. Default: $AUTEUR_SCHEDULER, settings file.",
        show_default=False,
    ),
]


def _fail(message: str) -> typer.Exit:
    typer.echo(f"Error: {message}", err=True)
    return typer.Exit(1)


@app.command("render", rich_help_panel=_PANEL)
def render_command(
    project: ProjectArg,
    shot: Annotated[
        list[str] | None,
        typer.Option("--shot", "-s", help="A shot to render (1/2/3 or its id); repeatable."),
    ] = None,
    scene: Annotated[
        str | None, typer.Option("--scene", help="Render every shot of this scene (1/2).")
    ] = None,
    all_shots: Annotated[bool, typer.Option("--all", help="Render every shot.")] = False,
    quality: Annotated[
        Quality | None, typer.Option("--quality", "-q", help="Render at this tier instead.")
    ] = None,
    seed: Annotated[int | None, typer.Option("--seed", help="Seed of every render.")] = None,
    scheduler: SchedulerOption = None,
    workspace: WorkspaceOption = None,
) -> None:
    """Render shots into new takes, with a progress bar per job.

    Without --scheduler (or AUTEUR_SCHEDULER) the renders run on an embedded local cluster.
    Exits with status 1 if any job failed.
    """
    if not (shot or scene or all_shots):
        raise _fail("choose what to render: --shot ADDRESS, --scene ADDRESS or --all")
    from ..render import ClusterError, PipelineError, RenderCluster, RenderError, RenderService

    store = open_project(project, workspace)
    settings = settings_for(workspace).model_copy(
        update={"scheduler": scheduler} if scheduler else {}
    )
    out = console()
    try:
        with out.status("Starting the render cluster…"):
            cluster = RenderCluster.start(settings)
    except (ClusterError, OSError, TimeoutError) as exc:
        raise _fail(str(exc)) from None
    try:
        with RenderService(store, cluster, settings=settings) as service:
            handles = _submit(service, shot or [], scene, all_shots, quality, seed)
            where = cluster.address + (
                f", dashboard {cluster.dashboard_link}" if cluster.dashboard_link else ""
            )
            out.print(f"Rendering {len(handles)} shot(s) of {store.project.name} on {where}")
            failed = _follow(service, handles)
    except (RenderError, PipelineError) as exc:
        raise _fail(str(exc)) from None
    finally:
        cluster.close()
    if failed:
        raise typer.Exit(1)


def _submit(
    service: RenderService,
    shots: list[str],
    scene: str | None,
    all_shots: bool,
    quality: Quality | None,
    seed: int | None,
) -> list[RenderHandle]:
    store = service.store
    chosen: list[str] = []
    if all_shots:
        chosen += [s.id for _, _, s in store.iter_shots()]
    if scene:
        found = store.locate(scene, "scene")
        assert found.scene is not None
        chosen += [s.id for s in found.scene.shots]
    chosen += [store.locate(address, "shot").item.id for address in shots]
    chosen = list(dict.fromkeys(chosen))
    if not chosen:
        raise _fail("there are no shots to render there")
    return service.submit_shots(chosen, quality=quality, seed=seed)


def _follow(service: RenderService, handles: list[RenderHandle]) -> bool:
    """Show a progress bar per job until all ended; return True if any did not succeed."""
    from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn

    from ..render.service import RENDER_EVENTS

    out = console()
    progress = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        TextColumn("{task.fields[step]}"),
        TimeElapsedColumn(),
        console=out,
    )
    bars = {}
    for handle in handles:
        status = handle.status
        label = f"{status.shot_code or status.shot_id} {status.pipeline_id}"
        bars[handle.job_id] = progress.add_task(label, total=1.0, step="queued")

    def on_event(event: Any) -> None:
        bar = bars.get(getattr(event, "task_id", ""))
        if bar is None:
            return
        if event.type == "task_progress":
            progress.update(bar, completed=event.progress, step=event.step)
        elif event.type == "task_success":
            path = event.result.get("outputPath") or ""
            progress.update(bar, completed=1.0, step=f"[green]{path}")
        elif event.type == "task_failed":
            progress.update(bar, step="[red]" + event.error.splitlines()[0][:60])

    unsubscribe = service.store.bus.subscribe(on_event, RENDER_EVENTS)
    try:
        with progress:
            try:
                statuses = service.wait(handles)
            except KeyboardInterrupt:
                service.cancel_all()
                statuses = service.wait(handles)
    finally:
        unsubscribe()
    failures = [s for s in statuses if s.state != "succeeded"]
    for status in failures:
        out.print(f"[red]{status.shot_code} {status.state}:[/red] {status.error}", markup=True)
    done = len(statuses) - len(failures)
    out.print(f"{done} of {len(statuses)} render(s) succeeded.")
    return bool(failures)


@app.command("worker", rich_help_panel=_PANEL)
def worker_command(
    scheduler: SchedulerOption = None,
    gpus: Annotated[
        int | None, typer.Option("--gpus", help="GPUs to use. Default: those detected.")
    ] = None,
    cpu_workers: Annotated[
        int | None, typer.Option("--cpu-workers", help="Workers without a GPU.")
    ] = None,
    nthreads: Annotated[
        int | None, typer.Option("--nthreads", help="Threads per worker process.")
    ] = None,
    name: Annotated[
        str | None, typer.Option("--name", help="Prefix of the worker names. Default: host name.")
    ] = None,
    workspace: WorkspaceOption = None,
) -> None:
    """Start Dask workers for a render cluster: one per GPU (tagged GPU=1) plus CPU workers.

    Runs until interrupted.
    """
    from ..render.cluster import ClusterError, local_worker_specs, serve_workers

    settings = settings_for(workspace).model_copy(
        update={
            key: value
            for key, value in {
                "scheduler": scheduler,
                "render_gpus": gpus,
                "render_cpu_workers": cpu_workers,
                "render_worker_threads": nthreads,
            }.items()
            if value is not None
        }
    )
    if not settings.scheduler:
        raise _fail("give the scheduler's address: --scheduler tcp://host:8786 or AUTEUR_SCHEDULER")
    specs = local_worker_specs(settings)
    described = ", ".join(
        spec.name + (f" ({_resources(spec.resources)})" if spec.resources else "") for spec in specs
    )
    console().print(f"Starting worker(s) {described or '(none)'} for {settings.scheduler}")
    try:
        serve_workers(settings.scheduler, specs, name)
    except ClusterError as exc:
        raise _fail(str(exc)) from None


@app.command("quality", rich_help_panel=_PANEL)
def quality_command(
    project: Annotated[
        str | None, typer.Argument(help="A project, to mark its tier and shot overrides.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    workspace: WorkspaceOption = None,
) -> None:
    """List the quality tiers and the pipeline each one maps to."""
    from ..render.dispatcher import Dispatcher

    settings = settings_for(workspace)
    dispatcher = Dispatcher.from_settings(settings)
    mappings = dispatcher.mappings()
    store = open_project(project, workspace) if project else None
    overrides: dict[Quality, int] = {}
    if store is not None:
        for _, _, shot in store.iter_shots():
            if shot.quality is not None:
                overrides[shot.quality] = overrides.get(shot.quality, 0) + 1
    if as_json:
        data = {
            tier.value: {**config.to_data(), "source": dispatcher.source(tier)}
            for tier, config in mappings.items()
        }
        if store is not None:
            data = {"project": store.project.quality.value, "tiers": data}
        typer.echo(json.dumps(data, indent=2))
        return
    table = Table(title="Quality tiers")
    table.add_column("Tier", no_wrap=True)
    table.add_column("Pipeline", no_wrap=True)
    for column in ("Needs", "VRAM", "Optimizations", "Use case"):
        table.add_column(column, overflow="fold")
    fallbacks = []
    for tier, config in mappings.items():
        label = tier.value
        if store is not None and store.project.quality == tier:
            label += " (project)"
        if overrides.get(tier):
            label += f" ({overrides[tier]} shot override(s))"
        table.add_row(
            label,
            config.pipeline_id,
            _resources(config.resources) or "any worker",
            f"{config.target_vram:g} GB" if config.target_vram else "",
            ", ".join(config.optimizations),
            config.use_case,
        )
        if config.fallback is not None:
            fallbacks.append(
                f"{tier.value} renders with {config.fallback.pipeline_id} when no worker offers "
                f"{_resources(config.resources)}"
            )
    out = console()
    out.print(table)
    for line in fallbacks:
        out.print(line)
    out.print(f"Templates: {settings.workspace / 'Library' / 'Pipeline_Templates'}")


def _resources(resources: dict[str, float]) -> str:
    return ", ".join(f"{name}={amount:g}" for name, amount in sorted(resources.items()))


if __name__ == "__main__":
    app()
