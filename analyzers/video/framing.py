"""Framing and lighting: what an interviewer sees besides the face, from what the face analysis
already found (no model of its own).

Per fully analysed frame with a face mesh, :func:`measure_framing` measures

- **where the face is**: the mesh's box centre as an offset from the frame centre (fractions of
  the frame, -0.5..0.5), its height as a fraction of the frame height (the mesh runs from the
  chin to the top of the forehead, about 0.6 of the head), and the headroom above the forehead;
- **light**: the face's mean luma (BT.601, 0..1) over the inner face (the box shrunk by a fifth
  on each side: skin, not hair or background), the share of those pixels clipped to white, and
  the mean luma of the background (everything outside the face box widened to the head and
  shoulders);
- **sharpness**: the no-reference blur metric of Crete-Roffet et al. (2007, "The blur effect:
  perception and estimation with a new no-reference perceptual blur metric", SPIE 6492): how
  much of the crop's pixel-to-pixel variation survives a 9-tap average, 0 sharp .. 1 blurred,
  on the inner face scaled to at most :data:`SHARPNESS_HEIGHT` pixels tall.

:func:`framing_issues` turns the figures into issue codes by the thresholds of
:class:`FramingThresholds` (settings); :data:`ADVICE` says what to do about each, most important
first. :class:`SetupCheck` is the check at the start of a session: an issue is reported when it
holds in at least half of the frames of the last seconds.
"""

from __future__ import annotations

from collections import Counter, deque
from dataclasses import dataclass

import numpy as np

from analyzers.video.blinks import BlinkGate, eye_width
from locales import N_

SHARPNESS_HEIGHT = 128
"""The inner face is scaled down to at most this many pixels tall before the blur metric, so a
face close to a sharp HD camera and one further away read alike."""

ADVICE: dict[str, str] = {
    # Most important first: the setup check lists them in this order.
    "no_face": N_("We cannot see your face: sit in front of the camera."),
    "cut_off": N_("Part of your face is outside the picture: move back to the middle."),
    "too_dark": N_("Your face is too dark: add light in front of you."),
    "backlit": N_(
        "The light is behind you: move the light in front of you, or turn away from the window."
    ),
    "washed_out": N_("The light on your face is too strong: move it further away or soften it."),
    "blurry": N_("Your face looks blurred: clean the lens, check the focus, or hold still."),
    "too_close": N_("You are very close to the camera: sit a little further back."),
    "too_far": N_("You are far from the camera: move a little closer."),
    "eyes_too_small": N_(
        "Your face is too small in the picture to count your blinks: move closer to the camera."
    ),
    "off_centre": N_("Move so that you are in the middle of the picture."),
    "too_low": N_("Your face is low in the picture: raise the camera or sit higher."),
}
ISSUES = tuple(ADVICE)


@dataclass(frozen=True)
class FramingThresholds:
    too_close: float = 0.6
    """Face height (chin to forehead) above this share of the frame: the head and shoulders no
    longer fit."""
    too_far: float = 0.15
    """Face height below this share of the frame: too small to read an expression."""
    eyes_too_small: float = BlinkGate.min_eye_width
    """The eye narrower than this many pixels: blinks are not counted (``blinks.py``)."""
    off_centre: float = 0.2
    """Face centre further than this share of the frame width from the middle."""
    too_low: float = 0.15
    """Face centre further than this share of the frame height below the middle (the eyes
    belong in the upper half)."""
    edge: float = 0.01
    """The face box within this share of the frame of an edge: cut off."""
    too_dark: float = 0.25
    """Face mean luma below this (0..1): under-exposed skin."""
    backlit: float = 0.2
    """Background brighter than the face by more than this luma, with the face under
    :attr:`backlit_face`: the camera exposed for the light behind."""
    backlit_face: float = 0.45
    washed_out: float = 0.2
    """More than this share of the face clipped to white."""
    blurry: float = 0.55
    """Blur metric (0 sharp .. 1 blurred) above this: midway between a sharp photo (0.40) and
    the same photo blurred with a Gaussian of 2 px at 640x480 (0.70), ``docs/analyzers.md``."""


@dataclass(frozen=True)
class Framing:
    face_x: float
    """Face centre's offset from the frame centre, share of the width (-0.5 left .. 0.5)."""
    face_y: float
    """Same, share of the height (positive: below the middle)."""
    face_height: float
    """Chin to forehead, share of the frame height."""
    headroom: float
    """Frame above the forehead, share of the frame height."""
    cut_off: bool
    brightness: float
    """Inner face mean luma, 0..1."""
    background: float | None
    """Mean luma outside the head and shoulders, 0..1 (``None`` when the face fills the frame)."""
    clipped: float
    """Share of inner-face pixels clipped to white."""
    blur: float | None
    """0 sharp .. 1 blurred; ``None`` for a face too small to tell."""
    eye_width: float | None = None
    """The eyes' width in pixels, corner to corner."""
    issues: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, object]:
        return {
            "face_x": round(self.face_x, 3),
            "face_y": round(self.face_y, 3),
            "face_height": round(self.face_height, 3),
            "headroom": round(self.headroom, 3),
            "brightness": round(self.brightness, 3),
            "background": None if self.background is None else round(self.background, 3),
            "clipped": round(self.clipped, 3),
            "blur": None if self.blur is None else round(self.blur, 3),
            "eye_width": None if self.eye_width is None else round(self.eye_width, 1),
            "issues": list(self.issues),
        }


def luma(rgb: np.ndarray) -> np.ndarray:
    """BT.601 luma, 0..1."""
    weights = np.array([0.299, 0.587, 0.114], np.float32)
    return (rgb.astype(np.float32) @ weights) / 255.0


def moving_average(values: np.ndarray, size: int, axis: int) -> np.ndarray:
    """The centred ``size``-tap (odd) average along ``axis``, the edges padded with zeros:
    ``scipy.ndimage.uniform_filter1d(..., mode="constant")``, without importing SciPy's
    ndimage (which brings its linear algebra and sparse matrices, ~50 MB per worker)."""
    half = size // 2
    widths = [(half + 1, half) if a == axis else (0, 0) for a in range(values.ndim)]
    sums = np.cumsum(np.pad(values, widths), axis=axis, dtype=np.float64)
    n = values.shape[axis]
    ahead = np.take(sums, np.arange(size, size + n), axis=axis)
    behind = np.take(sums, np.arange(n), axis=axis)
    return ((ahead - behind) / size).astype(values.dtype, copy=False)


def blur_metric(gray: np.ndarray) -> float:
    """Crete-Roffet et al. (2007) on ``gray`` (float, any scale): 0 sharp .. 1 blurred."""
    scores = []
    for axis in (0, 1):
        blurred = moving_average(gray, 9, axis)
        d_sharp = np.abs(np.diff(gray, axis=axis))
        d_blurred = np.abs(np.diff(blurred, axis=axis))
        kept = np.maximum(0.0, d_sharp - d_blurred)
        # The 9-tap average's edges are zero-padded: leave the border out of both sums.
        inner = (slice(4, -4), slice(None)) if axis == 0 else (slice(None), slice(4, -4))
        total = float(d_sharp[inner].sum())
        if total <= 0:
            return 1.0
        scores.append((total - float(kept[inner].sum())) / total)
    return max(scores)


def _shrink(gray: np.ndarray, height: int) -> np.ndarray:
    """``gray`` scaled down by whole-pixel box averaging to at most ``height`` rows."""
    factor = int(np.ceil(gray.shape[0] / height))
    if factor <= 1:
        return gray
    h, w = gray.shape[0] // factor * factor, gray.shape[1] // factor * factor
    return gray[:h, :w].reshape(h // factor, factor, w // factor, factor).mean(axis=(1, 3))


def mesh_extent(landmarks: np.ndarray) -> tuple[float, float, float, float]:
    """``(x0, y0, x1, y1)``: the face mesh's extent in pixels, chin to forehead."""
    (x0, y0), (x1, y1) = landmarks[:, :2].min(axis=0), landmarks[:, :2].max(axis=0)
    return float(x0), float(y0), float(x1), float(y1)


def measure_framing(
    rgb: np.ndarray, landmarks: np.ndarray, thresholds: FramingThresholds | None = None
) -> Framing:
    """Framing and light of the face whose mesh is ``landmarks`` (pixels) in ``rgb``."""
    height, width = rgb.shape[:2]
    x0, y0, x1, y1 = mesh_extent(landmarks)
    face_w, face_h = x1 - x0, y1 - y0
    edge = (thresholds or FramingThresholds()).edge
    cut_off = bool(
        x0 <= edge * width
        or y0 <= edge * height
        or x1 >= (1 - edge) * width
        or y1 >= (1 - edge) * height
    )
    ix0, ix1 = int(max(0, x0 + face_w / 5)), int(min(width, x1 - face_w / 5))
    iy0, iy1 = int(max(0, y0 + face_h / 5)), int(min(height, y1 - face_h / 5))
    inner = luma(rgb[iy0:iy1, ix0:ix1])
    if inner.size == 0:
        inner = luma(rgb[int(max(0, y0)) : int(min(height, y1)) + 1, int(max(0, x0)) : int(x1) + 1])
    # Head and shoulders: the face box widened by its width on each side, from a half face
    # above the forehead to the bottom of the frame. Its mean needs no detail: every 4th pixel.
    step = 4
    coarse = luma(rgb[::step, ::step])
    outside = np.ones(coarse.shape, bool)
    hx0, hx1 = int(max(0, x0 - face_w)) // step, int(min(width, x1 + face_w)) // step + 1
    outside[int(max(0, y0 - face_h / 2)) // step :, hx0:hx1] = False
    background = float(coarse[outside].mean()) if outside.sum() >= 0.05 * coarse.size else None
    crop = _shrink(inner, SHARPNESS_HEIGHT)
    blur = blur_metric(crop) if min(crop.shape) >= 24 else None
    framing = Framing(
        face_x=float((x0 + x1) / 2 / width - 0.5),
        face_y=float((y0 + y1) / 2 / height - 0.5),
        face_height=float(face_h / height),
        headroom=float(max(0.0, y0) / height),
        cut_off=cut_off,
        brightness=float(inner.mean()) if inner.size else 0.0,
        background=background,
        clipped=float((inner >= 250 / 255).mean()) if inner.size else 0.0,
        blur=blur,
        eye_width=eye_width(landmarks),
    )
    return Framing(**{**framing.__dict__, "issues": framing_issues(framing, thresholds)})


def framing_issues(f: Framing, thresholds: FramingThresholds | None = None) -> tuple[str, ...]:
    """The issue codes ``f`` shows, in :data:`ADVICE`'s order."""
    th = thresholds or FramingThresholds()
    found = {
        "cut_off": f.cut_off,
        "too_dark": f.brightness < th.too_dark,
        "backlit": f.background is not None
        and f.background - f.brightness > th.backlit
        and f.brightness < th.backlit_face,
        "washed_out": f.clipped > th.washed_out,
        "blurry": f.blur is not None and f.blur > th.blurry,
        "too_close": f.face_height > th.too_close,
        "too_far": f.face_height < th.too_far,
        "eyes_too_small": f.eye_width is not None and f.eye_width < th.eyes_too_small,
        "off_centre": abs(f.face_x) > th.off_centre,
        "too_low": f.face_y > th.too_low,
    }
    if found["backlit"]:
        found["too_dark"] = False  # one cause, one piece of advice
    if found["too_far"]:
        found["eyes_too_small"] = False
    return tuple(code for code in ISSUES if found.get(code))


@dataclass(frozen=True)
class SetupResult:
    t: float
    ok: bool
    issues: tuple[str, ...]
    """Codes that held in at least half of the frames looked at, most important first."""
    frames: int
    framing: Framing | None
    """The latest frame's figures, when it had a face."""

    def advice(self) -> list[dict[str, str]]:
        return [{"code": code, "text": ADVICE[code]} for code in self.issues]


class SetupCheck:
    """The setup check: over the frames of the last ``window`` seconds, each issue that holds in
    at least half of them. Due once ``first_after`` seconds of frames were seen, and again when
    :meth:`request` is called (the client's "check my setup")."""

    def __init__(self, *, window: float = 2.0, first_after: float = 3.0) -> None:
        self.window = window
        self.first_after = first_after
        self._frames: deque[tuple[float, Framing | None]] = deque()
        self._started: float | None = None
        self._done_first = False
        self._requested = False

    def request(self) -> None:
        self._requested = True

    def add(self, t: float, framing: Framing | None) -> SetupResult | None:
        """One analysed frame (``framing`` ``None`` without a face); the result when due."""
        if self._started is None:
            self._started = t
        self._frames.append((t, framing))
        while self._frames and self._frames[0][0] < t - self.window:
            self._frames.popleft()
        due = self._requested or (not self._done_first and t - self._started >= self.first_after)
        if not due:
            return None
        self._requested, self._done_first = False, True
        return self.result(t)

    def result(self, t: float) -> SetupResult:
        frames = [f for _, f in self._frames]
        half = len(frames) / 2
        counts: Counter[str] = Counter(code for f in frames if f for code in f.issues)
        counts["no_face"] = sum(1 for f in frames if f is None)
        issues = tuple(code for code in ISSUES if counts[code] and counts[code] >= half)
        return SetupResult(t, not issues, issues, len(frames), frames[-1] if frames else None)

    def reset(self) -> None:
        self._frames.clear()
        self._started = None
        self._done_first = False
        self._requested = False
