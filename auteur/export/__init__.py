"""Editorial exports into the project's `06_Exports`: animatic, storyboard and timelines.

Each export reads the project through its store and writes one file (the timeline: three)
atomically into ``06_Exports``, named after the project and the part exported.
"""

from ._output import EXPORTS_DIR
from ._timeline import Clip, ExportError, Timeline, collect
from .animatic import Progress, export_animatic, write_animatic
from .storyboard import export_storyboard, storyboard_pdf
from .timeline import TIMELINE_FORMATS, build_timeline, export_timeline, timeline_formats

__all__ = [
    "EXPORTS_DIR",
    "TIMELINE_FORMATS",
    "Clip",
    "ExportError",
    "Progress",
    "Timeline",
    "build_timeline",
    "collect",
    "export_animatic",
    "export_storyboard",
    "export_timeline",
    "storyboard_pdf",
    "timeline_formats",
    "write_animatic",
]
