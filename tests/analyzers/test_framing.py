"""Framing and lighting on a real photo: scikit-image's astronaut, darkened, backlit, washed
out, blurred, shifted, lowered, scaled. Each change must give its own advice and nothing else;
the photo as it is must give none."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
import scipy.ndimage as ndi

from analyzers.video.face import FaceAnalyzer, FaceModels
from analyzers.video.framing import ADVICE, Framing, SetupCheck, blur_metric, measure_framing
from tests.media import astronaut, place


@pytest.fixture(scope="module")
def models() -> FaceModels:
    return FaceModels()


def measure(models: FaceModels, rgb: np.ndarray) -> Framing:
    observation = FaceAnalyzer(models=lambda: models).analyze(rgb)
    assert observation.landmarks is not None, "the face must still be found"
    return measure_framing(rgb, observation.landmarks)


def scaled(rgb: np.ndarray, gain: float) -> np.ndarray:
    return np.clip(rgb.astype(np.float32) * gain, 0, 255).astype(np.uint8)


def backlit(models: FaceModels, rgb: np.ndarray) -> np.ndarray:
    """A bright window behind: the head darkened to half, everything around it near white."""
    landmarks = FaceAnalyzer(models=lambda: models).analyze(rgb).landmarks
    assert landmarks is not None
    (x0, y0), (x1, y1) = landmarks[:, :2].min(axis=0), landmarks[:, :2].max(axis=0)
    yy, xx = np.mgrid[: rgb.shape[0], : rgb.shape[1]]
    distance = np.hypot(
        (xx - (x0 + x1) / 2) / (0.75 * (x1 - x0)), (yy - (y0 + y1) / 2) / (0.75 * (y1 - y0))
    )
    light = np.clip((distance - 0.8) / 0.6, 0, 1)[..., None]  # 0 on the head, 1 around it
    out = rgb.astype(np.float32) * 0.5 * (1 - light) + 235 * light
    return out.astype(np.uint8)


def close_up() -> np.ndarray:
    """The photo scaled 3x with the face in the middle (it sits at ~22 % of the photo's height)."""
    return place(astronaut(), scale=3.0, centre=(0.5, 0.5 + 3.0 * 0.28))


def low_resolution(rgb: np.ndarray, width: int = 320) -> np.ndarray:
    """The same framing from a camera of ``width`` pixels: the face fills as much of the
    picture, but the eye is 8 px wide, too small to count blinks."""
    from PIL import Image

    height = width * rgb.shape[0] // rgb.shape[1]
    return np.asarray(Image.fromarray(rgb).resize((width, height), Image.Resampling.BILINEAR))


CASES: dict[str, tuple[Callable[[FaceModels], np.ndarray], set[str]]] = {
    "as photographed": (lambda m: place(astronaut()), set()),
    "dark (x0.2)": (lambda m: scaled(place(astronaut()), 0.2), {"too_dark"}),
    "backlit": (lambda m: backlit(m, place(astronaut())), {"backlit"}),
    "washed out (x1.6)": (lambda m: scaled(place(astronaut()), 1.6), {"washed_out"}),
    "blurred (2 px)": (lambda m: ndi.gaussian_filter(place(astronaut()), (2, 2, 0)), {"blurry"}),
    "blurred (3 px)": (lambda m: ndi.gaussian_filter(place(astronaut()), (3, 3, 0)), {"blurry"}),
    "shifted right": (lambda m: place(astronaut(), centre=(0.8, 0.5)), {"off_centre"}),
    "shifted left": (lambda m: place(astronaut(), centre=(0.2, 0.5)), {"off_centre"}),
    "low in the picture": (lambda m: place(astronaut(), centre=(0.5, 1.05)), {"too_low"}),
    "far (x0.35)": (lambda m: place(astronaut(), scale=0.35), {"too_far"}),
    "close (x3)": (lambda m: close_up(), {"too_close"}),
    "low resolution (320x240)": (lambda m: low_resolution(place(astronaut())), {"eyes_too_small"}),
    "cut off at the top": (lambda m: place(astronaut(), scale=1.4), {"cut_off"}),
}


@pytest.mark.parametrize("case", list(CASES))
def test_each_change_gives_its_own_advice_and_nothing_else(models: FaceModels, case: str) -> None:
    make, expected = CASES[case]
    framing = measure(models, make(models))
    assert set(framing.issues) == expected, f"{case}: expected {expected}, got {framing}"


def test_figures_follow_the_changes(models: FaceModels) -> None:
    base = measure(models, place(astronaut()))
    right = measure(models, place(astronaut(), centre=(0.8, 0.5)))
    assert right.face_x - base.face_x == pytest.approx(0.3, abs=0.02), "moved 30 % of the width"
    far = measure(models, place(astronaut(), scale=0.45))
    assert far.face_height / base.face_height == pytest.approx(0.5, abs=0.05), "half the size"
    dark = measure(models, scaled(place(astronaut()), 0.5))
    assert dark.brightness / base.brightness == pytest.approx(0.5, abs=0.03)
    blurs = [
        blur_metric(ndi.gaussian_filter(astronaut()[..., 1].astype(float), s)) for s in (0, 1, 2, 4)
    ]
    assert blurs == sorted(blurs), f"more blur reads blurrier: {blurs}"


def test_the_setup_check_reports_what_holds_in_most_frames(models: FaceModels) -> None:
    good = measure(models, place(astronaut()))
    dark = measure(models, scaled(place(astronaut()), 0.2))
    check = SetupCheck(window=2.0, first_after=3.0)
    results = [check.add(i * 0.2, dark if i % 3 else good) for i in range(16)]
    first = [r for r in results if r is not None]
    assert len(first) == 1 and first[0].t == pytest.approx(3.0), "once, after 3 s"
    assert first[0].issues == ("too_dark",) and not first[0].ok
    assert first[0].advice() == [{"code": "too_dark", "text": ADVICE["too_dark"]}]
    assert check.add(3.4, good) is None, "not again unless asked"
    check.request()
    no_face = [check.add(3.6 + i * 0.2, None) for i in range(12)]
    asked = [r for r in no_face if r is not None]
    assert len(asked) == 1 and "no_face" not in asked[0].issues, "asked: the last 2 s at once"
    check.request()
    again = check.add(6.2, None)
    assert again is not None and again.issues == ("no_face",)


def test_the_moving_average_is_scipys_uniform_filter() -> None:
    from scipy.ndimage import uniform_filter1d

    from analyzers.video.framing import moving_average

    image = np.asarray(place(astronaut()), np.float32).mean(axis=2) / 255
    for axis in (0, 1):
        expected = uniform_filter1d(image, 9, axis=axis, mode="constant")
        got = moving_average(image, 9, axis)
        assert got.dtype == expected.dtype
        assert np.abs(got - expected).max() < 1e-5, (
            f"axis {axis}: off by {np.abs(got - expected).max()}"
        )
