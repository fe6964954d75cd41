"""Live nudges (``analyzers/session/coach.py``, ``webrtc/runtime/live_coach.py``): the rule engine's
timing, and each rule on media that should and should not trigger it — real photos and speech
through the stream core and the same result messages a live session sends."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from analyzers import AUDIO_RATE, SUMMARY_WINDOW
from analyzers.session.coach import KINDS, Coach, CoachThresholds, Observations, Signals
from analyzers.session.stream import RgbImage
from analyzers.session.summary import SummaryFields
from analyzers.video.face import FaceAnalyzer
from analyzers.words.language import Utterance, summarise
from analyzers.words.recognition import SpeechClip, WhisperRecognizer, transcribe
from locales import translator
from modelfiles.registry import ASR_MODELS, ModelRegistry
from signaling.settings import Settings
from testmedia.sources import INTERVIEW_SENTENCES as SENTENCES
from testmedia.sources import WITH_FILLERS, sonnet
from tests.media import astronaut, blank, look_sideways, phrase, place
from webrtc.runtime.config import PipelineConfig
from webrtc.runtime.frames import audio_stream, video_stream
from webrtc.runtime.live_coach import LiveCoach, NudgeMessage

# The rule engine ---------------------------------------------------------------------------


def fast(**values: float) -> Signals:
    return Signals(**values)


def test_a_rule_fires_after_its_time_in_the_state_and_once_per_episode() -> None:
    coach = Coach(CoachThresholds(interval=0.5))
    fired = [coach.update(t, fast(wpm=190)) for t in range(0, 40, 2)]
    kinds = [(n.t, n.kind) for n in fired if n is not None]
    assert kinds == [(10, "slow_down")], f"one nudge 10 s into the state, got {kinds}"
    # Between the thresholds (150..165) the state holds: no new episode, no nudge.
    assert coach.update(42, fast(wpm=158)) is None and coach.update(60, fast(wpm=190)) is None
    # Cleared (below 150), then too fast again for 10 s: a new episode, a new nudge.
    coach.update(62, fast(wpm=140))
    again = [coach.update(t, fast(wpm=190)) for t in range(64, 80, 2)]
    assert [n.t for n in again if n] == [74], again


def test_one_nudge_per_interval_the_most_important_first() -> None:
    coach = Coach(CoachThresholds(interval=20))
    bad = fast(face_visible=0.0, wpm=200, fillers_per_min=12)
    fired = [n for t in range(0, 70, 2) if (n := coach.update(t, bad))]
    assert [(n.t, n.kind) for n in fired] == [
        (2, "face_out_of_view"),  # 1 s in the state, at the first judgement after
        (22, "slow_down"),  # due since 10 s, held back by the interval
        (42, "too_many_fillers"),
    ], fired
    assert fired[0].severity == "high"
    assert fired[0].figures == {"face_visible": 0.0, "threshold": 0.2}
    assert fired[0].text == "Move back into the picture"
    assert translator("zh")(fired[0].text) == "请回到画面中", "no Chinese in the catalog"


def test_no_nudges_when_turned_off_and_none_without_figures() -> None:
    assert all(
        Coach(CoachThresholds(interval=0)).update(t, fast(face_visible=0.0)) is None
        for t in range(0, 60, 2)
    )
    assert all(Coach().update(t, Signals()) is None for t in range(0, 60, 2))


def test_pauses_and_answers_are_timed_from_the_speech_events() -> None:
    seen = Observations(min_pause=0.6, turn_gap=3.0)
    seen.started(0.0)
    seen.stopped(10.0)
    seen.started(10.3)  # a breath shorter than a pause: the same stretch
    seen.window(19.8, 0.2, True, -20.0)
    assert (seen.signals().without_pause, seen.signals().answer) == (20.0, 20.0)
    seen.stopped(20.0)
    seen.started(21.0)  # a pause, not the end of the answer
    seen.window(24.8, 0.2, True, -20.0)
    assert (seen.signals().without_pause, seen.signals().answer) == (4.0, 25.0)
    seen.stopped(25.0)
    seen.window(29.8, 0.2, False, -70.0)  # 5 s of silence: the answer is over
    assert (seen.signals().without_pause, seen.signals().answer) == (0.0, 0.0)


# Rules on real media ----------------------------------------------------------------------


CONFIG = PipelineConfig(
    stream=replace(PipelineConfig().stream, transcript=False, posture_interval=0),
    expression_backend="none",
)


def nudges(
    pictures: Iterator[np.ndarray] | None = None,
    speech: np.ndarray | None = None,
    seconds: float = 0.0,
    config: PipelineConfig = CONFIG,
    heard: Sequence[Utterance] = (),
) -> list[NudgeMessage]:
    """What the live coach says over ``seconds`` of media: frames at 10 per second and speech
    in 100 ms pushes through the stream core, their typed results as the live pipelines hand
    them on, and a summary every 2 s (as the session's summary task makes them), with the
    language figures of the utterances ``heard`` (transcribed) over the summary window."""
    coach = LiveCoach("s", config.coach, lambda: "en", 0.6, 3.0)
    video = video_stream(config) if pictures is not None else None
    audio = audio_stream(config) if speech is not None else None
    video_summary = audio_summary = None
    said: list[NudgeMessage] = []
    for tick in range(round(seconds * 10)):
        t = tick / 10
        results: list[object] = []
        if video is not None and pictures is not None:
            output = video.feed(t, RgbImage(next(pictures)))
            if output is not None and output.result is not None:
                results.append(output.result)
                video_summary = output.summary or video_summary
        if audio is not None and speech is not None:
            chunk = speech[tick * AUDIO_RATE // 10 : (tick + 1) * AUDIO_RATE // 10]
            step = audio.feed(chunk if chunk.size else np.zeros(AUDIO_RATE // 10, np.float32), t)
            results += step.outputs
            audio_summary = step.summary or audio_summary
        said += [n for r in results if (n := coach.observe(r))]
        if tick % 20 == 19 and (video_summary or audio_summary):
            recent = [u for u in heard if t - SUMMARY_WINDOW <= u.end <= t]
            language = summarise(recent, "en") if heard else None
            fields = SummaryFields.of(video_summary, audio_summary, language)
            if (nudge := coach.summary(t, fields)) is not None:
                said.append(nudge)
    for stream in (video, audio):
        if stream is not None:
            stream.close()
    return said


def only(**thresholds: float) -> PipelineConfig:
    """The test's config with the audio rules other than the one under test out of the way,
    so that the rate limit cannot hide it behind another."""
    aside = {
        "pace_max_wpm": 1000.0,
        "no_pause_max": 1000.0,
        "answer_max": 1000.0,
        "pitch_min_semitones": 0.0,  # espeak-ng's voice is flat (~1.2 semitones)
    }
    return replace(CONFIG, coach=replace(CONFIG.coach, **{**aside, **thresholds}))


def kinds(said: list[NudgeMessage]) -> list[str]:
    return [n.kind for n in said]


def steady(picture: np.ndarray) -> Iterator[np.ndarray]:
    while True:
        yield picture


def test_face_out_of_view_and_not() -> None:
    face = place(astronaut())
    leaving = iter([face] * 50 + [blank()] * 200)
    said = nudges(leaving, seconds=25)
    assert kinds(said) == ["face_out_of_view"], said
    assert said[0].text == "Move back into the picture" and said[0].severity == "high"
    assert 5 + 1 <= said[0].t <= 5 + 4, f"told within 4 s of leaving, not before 1 s: {said}"
    assert kinds(nudges(steady(face), seconds=25)) == []


def test_lighting_and_not() -> None:
    dark = (place(astronaut()).astype(np.float32) * 0.2).astype(np.uint8)
    assert kinds(nudges(steady(dark), seconds=25)) == ["lighting"]
    assert kinds(nudges(steady(place(astronaut())), seconds=25)) == []


def test_look_at_camera_and_not() -> None:
    face = place(astronaut())
    landmarks = FaceAnalyzer().analyze(face).landmarks
    assert landmarks is not None
    away = look_sideways(face, landmarks, 0.25)
    assert kinds(nudges(steady(away), seconds=30)) == ["look_at_camera"]
    assert kinds(nudges(steady(face), seconds=30)) == []


@pytest.fixture(scope="module")
def answer(tmp_path_factory: pytest.TempPathFactory) -> np.ndarray:
    """About 30 s of an espeak-ng answer at 160 words per minute, sentences 0.4 s apart."""
    folder = tmp_path_factory.mktemp("answer")
    text = (
        "In my last role I led the migration of our billing system to a new platform",
        "We planned every step with the finance team and tested each invoice twice",
        "The move finished two weeks early and nobody was billed twice",
        "What I learned is that careful planning saves more time than it costs",
    )
    gap = np.zeros(int(0.4 * AUDIO_RATE), np.float32)
    parts = [np.concatenate([phrase(s, folder / f"{i}.wav"), gap]) for i, s in enumerate(text)]
    return np.concatenate(parts * 2)


def test_speak_up_and_not(answer: np.ndarray) -> None:
    """Speech at ~-44 dBFS (the speech detector hears frames down to -50) and at ~-20."""
    quiet = answer * np.float32(10 ** (-24 / 20))
    said = kinds(nudges(speech=quiet, seconds=len(quiet) / AUDIO_RATE, config=only()))
    assert said == ["speak_up"], said
    said = kinds(nudges(speech=answer, seconds=len(answer) / AUDIO_RATE, config=only()))
    assert "speak_up" not in said, said


def test_slow_down_and_not(tmp_path: Path) -> None:
    text = "I enjoy solving hard problems with a team that cares about the details of the work"
    fast_speech = np.concatenate([phrase(text, tmp_path / "f.wav", words_per_minute=260)] * 8)
    said = kinds(nudges(speech=fast_speech, seconds=len(fast_speech) / AUDIO_RATE + 2))
    assert "slow_down" in said, said
    calm = np.concatenate([phrase(text, tmp_path / "c.wav", words_per_minute=130)] * 5)
    assert "slow_down" not in kinds(nudges(speech=calm, seconds=len(calm) / AUDIO_RATE + 2))


def test_vary_your_pitch_and_not(tmp_path: Path) -> None:
    """A flattened espeak-ng voice (SSML pitch range x-low) against a person reading a sonnet
    (human speech spreads its pitch by 3-5 semitones; ``docs/analyzers.md``)."""
    text = "I led the migration of our billing system and we finished two weeks early"
    flat = phrase(
        f'<speak><prosody range="x-low">{text}</prosody></speak>', tmp_path / "m.wav", extra=("-m",)
    )
    flat = np.concatenate([flat] * 10)
    config = only(pitch_min_semitones=CoachThresholds().pitch_min_semitones)
    said = kinds(nudges(speech=flat, seconds=len(flat) / AUDIO_RATE, config=config))
    assert said == ["vary_your_pitch"], said
    human = sonnet()
    said = kinds(nudges(speech=human, seconds=len(human) / AUDIO_RATE, config=config))
    assert "vary_your_pitch" not in said, said


def test_pause_more_and_long_answer_and_not(answer: np.ndarray) -> None:
    """Sentences run together for a minute: no pause; two answers of 35 s 5 s apart are
    neither too long nor without pauses once the sentences have their pauses."""
    run_on = answer[np.abs(answer) > 0]  # the 0.4 s gaps between sentences taken out
    run_on = np.concatenate([run_on, run_on])
    config = only(answer_max=45.0, no_pause_max=30.0)
    said = kinds(nudges(speech=run_on, seconds=len(run_on) / AUDIO_RATE, config=config))
    assert "pause_more" in said and "long_answer" in said, said
    paused = np.concatenate(
        [
            a
            for sentence in np.split(answer, 8)
            for a in (sentence, np.zeros(AUDIO_RATE, np.float32))
        ]
    )
    two = np.concatenate([paused[: 35 * AUDIO_RATE], np.zeros(5 * AUDIO_RATE, np.float32)] * 2)
    said = kinds(nudges(speech=two, seconds=len(two) / AUDIO_RATE, config=config))
    assert "pause_more" not in said and "long_answer" not in said, said


def test_every_rule_is_documented() -> None:
    doc = (Path(__file__).parents[2] / "docs" / "analyzers.md").read_text()
    missing = [kind for kind in KINDS if f"`{kind}`" not in doc]
    assert not missing, f"rules without a line in docs/analyzers.md: {missing}"


def test_too_many_fillers_and_not(tmp_path: Path) -> None:
    """Speech recognised by the default model, one clip per sentence as the live session cuts
    utterances: a sentence with six filled pauses said three times (~36 a minute) against
    interview sentences without any."""
    model = WhisperRecognizer(ModelRegistry(Settings().model_dir).bundle(ASR_MODELS["tiny.en"]))
    gap = np.zeros(AUDIO_RATE // 2, np.float32)
    filled = [phrase(WITH_FILLERS, tmp_path / "f.wav")] * 3
    plain = [phrase(s, tmp_path / f"{i}.wav") for i, s in enumerate(SENTENCES)] * 2
    for sentences, expected in ((filled, True), (plain, False)):
        clips, start = [], 0.0
        for sentence in sentences:
            clips.append(SpeechClip(start, start + len(sentence) / AUDIO_RATE, sentence))
            start += (len(sentence) + len(gap)) / AUDIO_RATE
        speech = np.concatenate([a for sentence in sentences for a in (sentence, gap)])
        heard = [u for c in clips for u in transcribe(model, [c], "en")]
        seconds = len(speech) / AUDIO_RATE
        said = kinds(nudges(speech=speech, seconds=seconds, config=only(), heard=heard))
        assert ("too_many_fillers" in said) == expected, (said, [u.text for u in heard])
