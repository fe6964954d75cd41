"""Face presence and landmarks on the real astronaut photo, framed the ways a webcam frames
people, and on real photos with no person in them."""

from __future__ import annotations

import math
from collections.abc import Iterator

import cv2
import numpy as np
import pytest
from skimage import data

from analyzers.video.face import MESH_POINTS, FaceAnalyzer
from analyzers.video.frame import VideoFrameAnalyzer
from tests.media import astronaut, blank, place


@pytest.fixture(scope="module")
def analyzer() -> Iterator[FaceAnalyzer]:
    with FaceAnalyzer() as face_analyzer:
        yield face_analyzer


def eye_line_degrees(landmarks: np.ndarray) -> float:
    """Angle of the line from the subject's right iris (468) to the left iris (473), in the
    image (y down), degrees."""
    right, left = landmarks[468], landmarks[473]
    return math.degrees(math.atan2(left[1] - right[1], left[0] - right[0]))


FACES = {
    "frontal": dict(scale=0.9),
    "small-45px": dict(scale=0.5),
    "small-30px": dict(scale=0.35),
    "off-centre-top-left": dict(scale=0.5, centre=(0.18, 0.25)),
    "off-centre-bottom-right-small": dict(scale=0.3, centre=(0.85, 0.8)),
    "rotated+30": dict(scale=0.9, angle=30),
    "rotated-30": dict(scale=0.9, angle=-30),
    "rotated+30-small": dict(scale=0.35, centre=(0.4, 0.5), angle=30),
}


@pytest.mark.parametrize("framing", FACES.values(), ids=FACES.keys())
def test_finds_the_face_however_it_is_framed(analyzer: FaceAnalyzer, framing: dict) -> None:
    frame = place(astronaut(), **framing)
    observation = analyzer.analyze(frame)
    assert observation.face and observation.faces == 1
    assert observation.landmarks is not None
    assert observation.landmarks.shape == (MESH_POINTS, 3)
    box = observation.box
    assert box is not None
    # The mesh sits on the detected face: its centre is inside the detector's box.
    cx, cy = observation.landmarks[:, :2].mean(axis=0)
    assert box.x <= cx <= box.x + box.width and box.y <= cy <= box.y + box.height


@pytest.mark.parametrize("angle", [-30, -15, 0, 15, 30])
def test_landmarks_follow_the_rotation_of_the_face(analyzer: FaceAnalyzer, angle: float) -> None:
    """The crop is rotated upright for the mesh and the landmarks rotated back: the eye line
    must turn by exactly the angle the photo was turned (counter-clockwise = negative in y-down
    image coordinates)."""
    upright = analyzer.analyze(place(astronaut()))
    rotated = analyzer.analyze(place(astronaut(), angle=angle))
    assert upright.landmarks is not None and rotated.landmarks is not None
    turned = eye_line_degrees(rotated.landmarks) - eye_line_degrees(upright.landmarks)
    assert turned == pytest.approx(-angle, abs=3.0)


def test_darker_and_blurred_faces_are_still_found(analyzer: FaceAnalyzer) -> None:
    frame = place(astronaut(), scale=0.5)
    dark = (frame * 0.3).astype(np.uint8)
    blurred = cv2.GaussianBlur(frame, (0, 0), 2.5)
    assert analyzer.analyze(dark).face
    assert analyzer.analyze(blurred).face


def test_counts_two_people(analyzer: FaceAnalyzer) -> None:
    left = place(astronaut(), scale=0.6, centre=(0.25, 0.5))
    right = place(astronaut(), scale=0.6, centre=(0.75, 0.5))
    frame = np.where(np.arange(640)[None, :, None] < 320, left, right).astype(np.uint8)
    assert analyzer.analyze(frame).faces == 2


NO_FACE = {
    "grey-frame": blank(),
    "coffee-cup": cv2.resize(data.coffee(), (640, 480)),
    "cat": cv2.resize(data.chelsea(), (640, 480)),
    "astronaut-face-cut-out": place(np.ascontiguousarray(astronaut()[200:, :]), scale=0.9),
}


@pytest.mark.parametrize("frame", NO_FACE.values(), ids=NO_FACE.keys())
def test_no_face_in_photos_without_a_person(analyzer: FaceAnalyzer, frame: np.ndarray) -> None:
    observation = analyzer.analyze(frame)
    assert not observation.face
    assert observation.faces == 0 and observation.landmarks is None and observation.box is None


def test_rejects_frames_that_are_not_rgb(analyzer: FaceAnalyzer) -> None:
    with pytest.raises(ValueError, match="HxWx3 uint8"):
        analyzer.analyze(np.zeros((480, 640), np.uint8))


def test_video_frame_result_carries_media_time() -> None:
    video = VideoFrameAnalyzer()
    try:
        result = video.update(place(astronaut()), 1.25)
        assert (result.t, result.face, result.faces, result.width, result.height) == (
            1.25,
            True,
            1,
            640,
            480,
        )
        assert not video.update(blank(), 1.45).face
    finally:
        video.close()


def test_tracking_follows_a_moving_face_and_skips_the_detector() -> None:
    """Pins the cost saving: with a face in view the detector runs once per ``track_every``
    frames, and the landmarks still follow the face as it moves."""
    with FaceAnalyzer(track_every=5) as tracker:
        centroids = []
        for i in range(10):  # 12.8 px to the right each frame
            observation = tracker.analyze(
                place(astronaut(), scale=0.6, centre=(0.4 + 0.02 * i, 0.5))
            )
            assert observation.face and observation.landmarks is not None
            centroids.append(float(observation.landmarks[:, 0].mean()))
        moved = np.diff(centroids)
        np.testing.assert_allclose(moved, 12.8, atol=3.0)
        assert tracker.detections == 2


def test_tracking_notices_a_face_leaving_at_once_and_a_newcomer_soon() -> None:
    with FaceAnalyzer(track_every=5) as tracker:
        assert tracker.analyze(place(astronaut(), scale=0.6, centre=(0.25, 0.5))).faces == 1
        assert not tracker.analyze(blank()).face, "the mesh finds no face: re-detect at once"
        left = place(astronaut(), scale=0.6, centre=(0.25, 0.5))
        both = np.where(
            np.arange(640)[None, :, None] < 320,
            left,
            place(astronaut(), scale=0.6, centre=(0.75, 0.5)),
        ).astype(np.uint8)
        counts = [tracker.analyze(frame).faces for frame in [left] * 2 + [both] * 6]
        assert counts[:2] == [1, 1] and counts[-1] == 2, counts


def test_a_still_face_keeps_its_mesh_and_a_glance_or_a_blink_is_meshed_again() -> None:
    from testmedia.sources import close_eyes, look_sideways

    rng = np.random.default_rng(0)
    base = place(astronaut())

    def noisy(image: np.ndarray) -> np.ndarray:
        return np.clip(image + rng.normal(0, 2.0, image.shape), 0, 255).astype(np.uint8)

    with FaceAnalyzer(track_every=5, reuse_below=1.5) as analyzer:
        first = analyzer.analyze(noisy(base)).landmarks
        assert first is not None
        kept = analyzer.analyze(noisy(base)).landmarks
        assert analyzer.reused == 1, "a still face with a camera's noise keeps its mesh"
        assert kept is not None and np.array_equal(kept, first)
        for changed in (look_sideways(base, first, 0.2), close_eyes(base, first)):
            seen = analyzer.analyze(noisy(changed)).landmarks
            assert analyzer.reused == 1, "eyes that moved or closed are meshed again"
            assert seen is not None and not np.array_equal(seen, first)
            analyzer.analyze(noisy(base))  # back to the start (and meshed: it changed again)
    with FaceAnalyzer(track_every=5) as analyzer:
        analyzer.analyze(noisy(base))
        analyzer.analyze(noisy(base))
        assert analyzer.reused == 0, "reuse is off unless asked for"
