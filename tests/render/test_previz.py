"""The built-in previz pipeline, run in-process."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from auteur.model import Character, Framing, Location, Project, Scene, Shot, Style
from auteur.render import (
    JobCancelled,
    JobInput,
    LocalContext,
    OutputSpec,
    PipelineConfig,
    PipelineError,
    RenderJob,
    assemble_prompt,
)
from auteur.render.pipelines import load_pipeline
from tests.render.conftest import png

FACE = "01_Assets/Characters/anna/base_face.png"
ROOM = "01_Assets/Locations/room/ref.png"
BLUE_ROOM = png((20, 40, 230), (64, 36))
ORANGE_FACE = png((250, 140, 10))


def job(
    seed: int = 1, size: tuple[int, int] = (480, 270), fmt: str = "png", **shot: object
) -> RenderJob:
    project = Project(name="P")
    project.assets.characters += [
        Character(asset_id="char-anna", name="Anna", base_face_image_path=FACE),
        Character(asset_id="char-ben", name="Ben"),
    ]
    project.assets.locations.append(
        Location(asset_id="loc-room", name="Room", reference_images=[ROOM])
    )
    project.assets.styles.append(
        Style(asset_id="style-warm", name="Warm", palette=["#ff8800", "#ffcc00"])
    )
    scene = Scene(title="Kitchen")
    fields = {"description": "Anna hands Ben a cup", "framing": Framing.MEDIUM, **shot}
    the_shot = Shot(**fields)
    scene.shots.append(the_shot)
    prompt = assemble_prompt(project, scene, the_shot)
    return RenderJob(
        job_id="job-1",
        project_id=project.id,
        shot_id=the_shot.id,
        node_id=the_shot.id,
        pipeline=PipelineConfig(pipeline_id="previz"),
        prompt=prompt.to_data(),
        seed=seed,
        output=OutputSpec(width=size[0], height=size[1], format=fmt),
        inputs=[
            JobInput(path=path, sha256=path, size=len(data))
            for path, data in ((FACE, ORANGE_FACE), (ROOM, BLUE_ROOM))
            if path in prompt.resource_paths()
        ],
    )


def render(the_job: RenderJob) -> tuple[bytes, LocalContext]:
    attached = {FACE: ORANGE_FACE, ROOM: BLUE_ROOM}  # by "sha256", as they travel with a job
    context = LocalContext(the_job, attached)
    outputs = load_pipeline(the_job.pipeline).run(the_job, context)
    assert len(outputs) == 1
    return outputs[0].data, context


def picture(data: bytes) -> Image.Image:
    return Image.open(io.BytesIO(data)).convert("RGB")


def test_the_same_seed_gives_the_same_bytes():
    first, _ = render(job(seed=7, characters=["char-anna", "char-ben"]))
    second, _ = render(job(seed=7, characters=["char-anna", "char-ben"]))
    assert first == second


def test_another_seed_gives_another_frame():
    assert render(job(seed=1))[0] != render(job(seed=2))[0]


def test_frames_have_the_project_resolution_and_format():
    data, context = render(job(size=(320, 200), fmt="jpg"))
    image = Image.open(io.BytesIO(data))
    assert (image.format, image.size) == ("JPEG", (320, 200))
    assert context.reports[-1] == (1.0, "done")
    assert [step for _, step in context.reports] == [
        "backdrop",
        "characters",
        "palette",
        "caption",
        "encoding",
        "done",
    ]


def test_the_location_reference_is_the_backdrop():
    image = picture(render(job(location="loc-room"))[0])
    red, _, blue = image.getpixel((5, 5))
    assert blue > 200 and red < 60


def test_the_palette_tints_the_frame():
    plain = picture(render(job(location="loc-room"))[0]).getpixel((5, 5))
    tinted = picture(render(job(location="loc-room", style="style-warm"))[0]).getpixel((5, 5))
    assert tinted[0] > plain[0] + 30  # warmer: more red


def test_characters_show_their_face_or_a_silhouette():
    # A close-up puts Anna's face (orange) near the frame centre.
    face = picture(render(job(framing=Framing.CLOSE_UP, characters=["char-anna"]))[0])
    assert face.getpixel((240, int(270 * 0.42))) == (250, 140, 10)
    # Ben has no image: a silhouette of his own colour, the same in every frame.
    ben = picture(render(job(framing=Framing.CLOSE_UP, characters=["char-ben"]))[0])
    again = picture(render(job(seed=99, framing=Framing.CLOSE_UP, characters=["char-ben"]))[0])
    assert ben.getpixel((240, int(270 * 0.42))) == again.getpixel((240, int(270 * 0.42)))


def test_framing_sets_the_size_of_characters():
    def covered(framing: Framing) -> int:
        shot = picture(render(job(framing=framing, characters=["char-anna"]))[0])
        counts = {colour: count for count, colour in shot.getcolors(shot.width * shot.height)}
        return counts.get((250, 140, 10), 0)

    assert covered(Framing.WIDE) < covered(Framing.MEDIUM) < covered(Framing.CLOSE_UP)


def test_the_caption_band_is_dark():
    image = picture(render(job())[0])
    band = [image.getpixel((x, 265)) for x in range(300, 470, 10)]
    assert all(sum(pixel) < 3 * 90 for pixel in band)


def test_unsupported_formats_are_refused():
    with pytest.raises(PipelineError, match="cannot write 'exr'"):
        render(job(fmt="exr"))


def test_cancel_stops_between_steps():
    the_job = job(characters=["char-anna"])
    context = LocalContext(the_job, {FACE: ORANGE_FACE, ROOM: BLUE_ROOM})
    context.cancel()
    with pytest.raises(JobCancelled):
        load_pipeline(the_job.pipeline).run(the_job, context)
