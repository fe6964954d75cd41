"""The stream core every path shares (:mod:`analyzers.session.stream`): audio time after gaps,
batching, summaries and points, on real speech and tones whose timing is known."""

from __future__ import annotations

import itertools

import av
import numpy as np
import pytest

from analyzers import AUDIO_RATE
from analyzers.session.stream import AudioStream, StreamParams
from analyzers.voice.speech_events import SpeechStarted, SpeechStopped
from analyzers.voice.windows import AudioAnalysisOptions, AudioAnalyzer, AudioWindowResult
from tests.media import phrase, resample
from webrtc.runtime.frames import AudioFrames


@pytest.fixture(scope="module")
def hello(tmp_path_factory: pytest.TempPathFactory) -> np.ndarray:
    """One espeak-ng phrase at 16 kHz, trimmed to the voice, with 0.5 s of silence after it."""
    voice = phrase("Thank you for having me", tmp_path_factory.mktemp("hello") / "p.wav")
    return np.concatenate([voice, np.zeros(AUDIO_RATE // 2, np.float32)])


def tone(seconds: float, hz: float = 220.0) -> np.ndarray:
    t = np.arange(round(seconds * AUDIO_RATE)) / AUDIO_RATE
    return (0.3 * np.sin(2 * np.pi * hz * t)).astype(np.float32)


def window_times(outputs: list) -> list[float]:
    return [round(o.t, 3) for o in outputs if isinstance(o, AudioWindowResult)]


def test_speech_after_a_long_gap_is_dated_by_its_own_time(hello: np.ndarray) -> None:
    """Pins: ``push`` ignored ``t`` after its first call, so audio lost or dropped before a
    push silently moved everything after it earlier in time."""
    analyzer = AudioAnalyzer()
    first = analyzer.push(hello, 0.0)
    second = analyzer.push(hello, 10.0)
    started = [o.t for o in first + second if isinstance(o, SpeechStarted)]
    stopped = [o for o in first + second if isinstance(o, SpeechStopped)]
    assert len(started) == 2, f"expected a start per phrase, got {started}"
    assert started[1] - started[0] == pytest.approx(10.0, abs=0.05), (
        f"the second phrase was pushed 10 s after the first; its speech started "
        f"{started[1] - started[0]:.2f} s after the first's"
    )
    assert stopped[1].duration == pytest.approx(stopped[0].duration, abs=0.05)
    later = [t for t in window_times(second) if t >= 10.0]
    assert later and later[0] == pytest.approx(10.0), f"windows after the gap: {later[:3]}"
    assert all(b - a == pytest.approx(0.2) for a, b in itertools.pairwise(later))


def test_a_short_gap_is_silence_and_the_window_grid_goes_on() -> None:
    analyzer = AudioAnalyzer()
    outputs = analyzer.push(tone(1.0), 0.0) + analyzer.push(tone(1.0), 1.3)
    times = window_times(outputs)
    assert times == pytest.approx([round(0.2 * i, 3) for i in range(11)]), times
    by_time = {round(o.t, 3): o for o in outputs if isinstance(o, AudioWindowResult)}
    assert by_time[1.0].rms_dbfs < -100, f"the gap is silence, got {by_time[1.0]}"
    assert not by_time[1.0].speech
    assert by_time[1.4].pitch_hz == pytest.approx(220.0, rel=0.02), "tone resumes at 1.3 s"


def test_contiguous_pushes_within_the_tolerance_are_not_a_gap() -> None:
    """A resampler's delay (a few samples) must not be taken for lost audio."""
    analyzer = AudioAnalyzer()
    chunk = tone(0.1)
    outputs = []
    for i in range(20):
        outputs += analyzer.push(chunk[3:] if i == 0 else chunk, 0.1 * i)
    times = window_times(outputs)
    assert len(times) == 9, times
    assert times[-1] == pytest.approx(1.6, abs=0.001)


@pytest.mark.parametrize("window_ms", [200, 500])
def test_the_core_batches_like_one_push(hello: np.ndarray, window_ms: int) -> None:
    """20 ms chunks fed to the core give the same windows and events as the whole signal
    pushed at once: batching changes cost, not results."""
    options = AudioAnalysisOptions(window_ms=window_ms)
    whole = AudioAnalyzer(options).push(hello, 0.0)
    stream = AudioStream(StreamParams(audio=options), lambda: AudioAnalyzer(options))
    fed = []
    for i in range(0, hello.size, 320):
        fed += stream.feed(hello[i : i + 320], i / AUDIO_RATE).outputs
    fed += stream.flush().outputs
    assert [type(o).__name__ for o in fed] == [type(o).__name__ for o in whole]
    assert window_times(fed) == window_times(whole)
    final = stream.finish()
    assert final is not None and len(final.points) == len(window_times(whole))
    assert final.end == pytest.approx(final.points[-1].t + window_ms / 1000)
    assert final.seconds == pytest.approx(len(final.points) * window_ms / 1000)


def test_the_core_hands_a_gap_to_the_analyzer(hello: np.ndarray) -> None:
    """Chunks held for a batch end the batch when the next one does not follow them, so the
    gap reaches the analyzer and what follows is re-dated."""
    stream = AudioStream(StreamParams(), AudioAnalyzer)
    outputs = []
    for start in (0.0, 20.0):
        for i in range(0, hello.size, 320):
            outputs += stream.feed(hello[i : i + 320], start + i / AUDIO_RATE).outputs
    outputs += stream.flush().outputs
    started = [o.t for o in outputs if isinstance(o, SpeechStarted)]
    assert len(started) == 2 and started[1] - started[0] == pytest.approx(20.0, abs=0.05), started


def test_summaries_come_at_most_twice_per_interval(hello: np.ndarray) -> None:
    stream = AudioStream(StreamParams(summary_interval=2.0), AudioAnalyzer)
    samples = np.concatenate([hello] * 4)
    summaries = []
    for i in range(0, samples.size, 1600):
        step = stream.feed(samples[i : i + 1600], i / AUDIO_RATE)
        if step.summary is not None:
            summaries.append(i / AUDIO_RATE)
    seconds = samples.size / AUDIO_RATE
    assert summaries[0] < 0.3, "the first window brings the first summary"
    gaps = np.diff(summaries)
    assert (gaps >= 1.0 - 1e-6).all() and len(summaries) <= seconds / 1.0 + 1, summaries


def frames_of(samples: np.ndarray, start: float = 0.0) -> list[tuple[av.AudioFrame, float]]:
    """20 ms stereo s16 frames at 48 kHz, as aiortc's Opus decoder hands them over."""
    pcm = (np.clip(resample(samples, AUDIO_RATE, 48_000), -1, 1) * 32767).astype(np.int16)
    out = []
    for i in range(0, pcm.size - 960 + 1, 960):
        stereo = np.repeat(pcm[i : i + 960], 2).reshape(1, -1)
        frame = av.AudioFrame.from_ndarray(stereo, format="s16", layout="stereo")
        frame.sample_rate = 48_000
        out.append((frame, start + i / 48_000))
    return out


def test_decoded_frames_reach_the_core_in_batches_with_their_gaps(hello: np.ndarray) -> None:
    """Recorded files and the floor hand decoded frames over a batch at a time (as the live
    shell does); a frame that does not follow the ones held still shows as a gap."""
    feed = AudioFrames(AudioStream(StreamParams(), AudioAnalyzer), batch_ms=100)
    outputs = []
    for frame, t in frames_of(hello) + frames_of(hello, start=15.0):
        outputs += feed.feed(frame, t).outputs
    outputs += feed.end().outputs
    started = [o.t for o in outputs if isinstance(o, SpeechStarted)]
    assert len(started) == 2 and started[1] - started[0] == pytest.approx(15.0, abs=0.05), started
    final = feed.stream.finish()
    assert final is not None
    seconds = 2 * hello.size / AUDIO_RATE
    assert final.seconds == pytest.approx(seconds, abs=0.45), "both phrases analysed, no gap"


def test_an_utterance_going_on_gives_its_audio_so_far_every_interval(hello: np.ndarray) -> None:
    """Three phrases said without a pause (~4 s): the audio so far at ~2 s and ~4 s of it, each
    from the utterance's start; after it stops, its clip and no more partials."""
    voice = hello[: -AUDIO_RATE // 2]
    speech = np.concatenate([voice] * 3 + [np.zeros(AUDIO_RATE, np.float32)])
    stream = AudioStream(StreamParams(partial_every=2.0), lambda: AudioAnalyzer())
    partials, clips, t = [], [], 0.0
    for chunk in np.array_split(speech, len(speech) // 1600):
        step = stream.feed(chunk, t)
        t += chunk.size / AUDIO_RATE
        clips += step.clips
        if step.partial is not None:
            partials.append(step.partial)
    clips += stream.end().clips
    assert len(clips) == 1, clips
    ends = [p.end for p in partials]
    assert len(partials) >= 1 and all(p.start == clips[0].start for p in partials), partials
    assert all(b - a >= 2.0 for a, b in itertools.pairwise([clips[0].start, *ends])), ends
    assert all(e < clips[0].end for e in ends), (ends, clips[0].end)
    assert all(p.samples.size == round((p.end - p.start) * AUDIO_RATE) for p in partials)
