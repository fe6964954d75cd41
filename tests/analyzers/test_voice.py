"""Loudness and voice activity on espeak-ng speech, digital silence, white noise and music."""

from __future__ import annotations

import numpy as np
import pytest
import webrtcvad

from analyzers import AUDIO_RATE
from analyzers.voice.activity import FRAME_SAMPLES, VoiceActivityDetector, spectral_flatness
from analyzers.voice.loudness import SILENCE_DBFS, rms_dbfs
from analyzers.voice.windows import AudioAnalysisOptions, AudioAnalyzer, AudioWindowResult
from tests.media import chord, resample, white_noise


def sine(hz: float, amplitude: float, seconds: float = 1.0) -> np.ndarray:
    t = np.arange(int(seconds * AUDIO_RATE)) / AUDIO_RATE
    return (amplitude * np.sin(2 * np.pi * hz * t)).astype(np.float32)


def analyse(samples: np.ndarray, chunk: int = 320) -> list[AudioWindowResult]:
    """Stream ``samples`` through a fresh analyzer in 20 ms chunks; the window results."""
    analyzer = AudioAnalyzer()
    outputs = []
    for i in range(0, samples.size, chunk):
        outputs += analyzer.push(samples[i : i + chunk], i / AUDIO_RATE)
    return [o for o in outputs if isinstance(o, AudioWindowResult)]


@pytest.fixture(scope="module")
def speech16k(speech: tuple[np.ndarray, int]) -> np.ndarray:
    samples, rate = speech
    return resample(samples, rate)


def test_rms_dbfs_of_known_signals() -> None:
    # A full-scale sine is 3.01 dB below a full-scale square wave; -20 dB per 10x amplitude.
    assert rms_dbfs(sine(440, 1.0)) == pytest.approx(-3.01, abs=0.01)
    assert rms_dbfs(sine(440, 0.1)) == pytest.approx(-23.01, abs=0.01)
    assert rms_dbfs(white_noise(1.0, -30.0)) == pytest.approx(-30.0, abs=0.01)
    assert rms_dbfs(np.zeros(3200, np.float32)) == SILENCE_DBFS
    assert rms_dbfs(np.zeros(0, np.float32)) == SILENCE_DBFS


def test_spectral_flatness_separates_tones_from_noise() -> None:
    assert spectral_flatness(sine(220, 0.5)[:FRAME_SAMPLES]) < 0.05
    assert spectral_flatness(white_noise(0.02, -30.0)) > 0.4


def test_speech_is_speech(speech16k: np.ndarray) -> None:
    results = analyse(speech16k)
    speaking = [r for r in results if r.rms_dbfs > -40]
    assert len(speaking) >= 10
    # espeak leaves short gaps between words; nearly every loud window is still speech.
    assert np.mean([r.speech for r in speaking]) >= 0.9
    assert all(-40 < r.rms_dbfs < 0 for r in speaking)


def test_pushing_in_batches_changes_nothing(speech16k: np.ndarray) -> None:
    """The server pushes 100 ms at a time and the gate runs vectorised over a push; frame by
    frame the decisions and windows are the same, for either model (webrtcvad adapts to what it
    hears, in order; Silero keeps a recurrent state and decides per 32 ms chunk)."""
    quiet = np.zeros(AUDIO_RATE // 2, np.float32)
    samples = np.concatenate([quiet, speech16k, quiet, white_noise(0.5, -30.0), speech16k])
    frames = samples[: samples.size // FRAME_SAMPLES * FRAME_SAMPLES].reshape(-1, FRAME_SAMPLES)
    for model in ("silero", "webrtc"):
        one_by_one = VoiceActivityDetector(model=model)
        alone = [one_by_one.frame_is_speech(frame) for frame in frames]
        together = VoiceActivityDetector(model=model).frames_are_speech(frames).tolist()
        in_sevens = VoiceActivityDetector(model=model)
        sevens = [
            d
            for i in range(0, len(frames), 7)
            for d in in_sevens.frames_are_speech(frames[i : i + 7])
        ]
        assert together == alone == sevens, f"{model}: batching changed the decisions"
        assert 0.2 < np.mean(alone) < 0.9, f"{model}: both speech and non-speech were decided"
    # webrtcvad's rule spelled out one frame at a time: loud enough, not flat like noise, and
    # webrtcvad says speech (asked about the frames that pass both gates only, in order).
    vad = webrtcvad.Vad(3)
    rule = []
    for frame in frames:
        gated = rms_dbfs(frame) >= -50.0 and spectral_flatness(frame) < 0.3
        pcm = (np.clip(frame, -1.0, 1.0) * 32767.0).astype("<i2").tobytes()
        rule.append(gated and vad.is_speech(pcm, AUDIO_RATE))
    assert VoiceActivityDetector(model="webrtc").frames_are_speech(frames).tolist() == rule
    assert analyse(samples, chunk=1600) == analyse(samples), "same windows, 100 ms or 20 ms"
    assert analyse(samples, chunk=4410) == analyse(samples), "pushes need not align to frames"


def test_silero_starts_afresh_after_a_silence_whatever_the_batches(speech16k: np.ndarray) -> None:
    """After 1.2 s below the hold the recurrent state starts afresh, at the same chunk and with
    the same decisions however the audio is pushed (frame by frame, all at once, in sevens)."""
    quiet = np.zeros(3 * AUDIO_RATE // 2, np.float32)
    samples = np.concatenate([speech16k, quiet, speech16k, quiet[: AUDIO_RATE // 4], speech16k])
    frames = samples[: samples.size // FRAME_SAMPLES * FRAME_SAMPLES].reshape(-1, FRAME_SAMPLES)
    detectors = [VoiceActivityDetector(fresh_after=1.2) for _ in range(3)]
    alone = [detectors[0].frame_is_speech(frame) for frame in frames]
    together = detectors[1].frames_are_speech(frames).tolist()
    sevens = [
        d
        for i in range(0, len(frames), 7)
        for d in detectors[2].frames_are_speech(frames[i : i + 7])
    ]
    assert together == alone == sevens, "batching changed the decisions"
    freshened = [d._silero.freshened for d in detectors if d._silero is not None]
    assert freshened == [1, 1, 1], f"one silence of 1.5 s, one fresh start each: {freshened}"


def test_music_is_not_speech() -> None:
    """A sustained chord is harmonic, as voiced speech is, so the flatness gate lets it through;
    webrtcvad calls it speech, Silero does not."""
    results = analyse(chord(3.0))
    assert results and not any(r.speech for r in results), [r.voiced_fraction for r in results]


@pytest.mark.parametrize(
    "samples",
    [
        pytest.param(np.zeros(AUDIO_RATE * 2, np.float32), id="digital-silence"),
        pytest.param(white_noise(2.0, -30.0), id="white-noise--30dBFS"),
        pytest.param(white_noise(2.0, -12.0, seed=1), id="white-noise--12dBFS"),
        pytest.param(white_noise(2.0, -60.0, seed=2), id="room-hiss--60dBFS"),
    ],
)
def test_silence_and_noise_are_not_speech(samples: np.ndarray) -> None:
    """webrtcvad alone calls white noise speech; the flatness gate must reject it."""
    results = analyse(samples)
    assert results and not any(r.speech for r in results)
    assert not any(r.voiced_fraction > 0.1 for r in results)


def test_speech_after_silence_is_found_in_the_right_window(speech16k: np.ndarray) -> None:
    silence = np.zeros(AUDIO_RATE, np.float32)
    samples = np.concatenate([silence, speech16k[: AUDIO_RATE * 2]])
    flags = [r.speech for r in analyse(samples)]
    assert not any(flags[:5]) and any(flags[5:])


def test_window_and_frame_sizes_are_checked() -> None:
    with pytest.raises(ValueError, match="multiple of 20"):
        AudioAnalyzer(AudioAnalysisOptions(window_ms=25))
    with pytest.raises(ValueError, match="no syllables-per-word figure for language 'xx'"):
        AudioAnalyzer(AudioAnalysisOptions(language="xx"))
    with pytest.raises(ValueError, match="320 samples"):
        VoiceActivityDetector().frame_is_speech(np.zeros(100, np.float32))
    with pytest.raises(ValueError, match="aggressiveness"):
        VoiceActivityDetector(model="webrtc", aggressiveness=4)
    with pytest.raises(ValueError, match="hold"):
        VoiceActivityDetector(threshold=0.3, hold=0.5)
