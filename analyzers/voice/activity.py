"""Voice activity per 20 ms frame: a speech model (Silero VAD by default, or webrtcvad), gated by
level and spectral flatness.

**Which model.** webrtcvad (a GMM over six sub-band energies) tuned for clean, full voices: on a
real hoarse voice in a reverberant room (MFA's ``cold_corpus``) it passed only 36 % of the 20 ms
frames inside the aligned words at aggressiveness 3, so speech broke into half-second fragments
and the talk ratio read 0.43 against 0.70. Silero VAD v6 (a small neural network, its ONNX file
shipped inside the faster-whisper wheel and run by onnxruntime on one thread; it adds ~5 ms of
CPU per second of audio to the audio chain) holds on both voices; the figures are in
``docs/analyzers.md`` ("Voice activity", made by ``python -m bench.vad``), and it calls music
(a sustained chord) silence, where webrtcvad calls it speech.

After ``fresh_after`` seconds below the hold, Silero's recurrent state starts afresh: what it
learnt of the voice before a silence dulled the next voice (a hoarse man answering after
another speaker scored a third of his frames as speech; ``docs/analyzers.md``).

Silero decides per 32 ms chunk; each 20 ms frame takes the probability of the latest chunk
complete by its end (so decisions never depend on how audio is batched, and lag the audio by at
most 32 ms), with hysteresis: speech starts at ``threshold`` (0.5, Silero's own default) and
holds while the probability stays at or above ``hold`` (0.25).
Silero's own hold, 0.35, cut a hoarse voice's words apart: inside the aligned words of
``cold_corpus`` a quarter of the frames score below 0.42 (0.90 in the quiet room), while the
silences of both rooms score a median of 0.06-0.09.

The gates stay whatever the model: webrtcvad alone calls stationary white noise speech at every
aggressiveness (measured: 100 % of frames of -30 dBFS white noise, see ``docs/analyzers.md``).
Voiced speech has a harmonic spectrum, white noise a flat one, so a frame only counts as speech
when the model says so, its level is above ``min_dbfs``, and its spectral flatness (geometric
over arithmetic mean of the power spectrum, 0 = pure tone, 1 = white noise) is below
``max_flatness``.
"""

from __future__ import annotations

import functools
import importlib.util
from pathlib import Path
from typing import Any, Literal

import numpy as np
import webrtcvad

from analyzers import AUDIO_RATE
from analyzers.voice.loudness import SILENCE_DBFS

FRAME_SAMPLES = AUDIO_RATE * 20 // 1000
VadModel = Literal["silero", "webrtc"]
SILERO_CHUNK = 512
"""Samples per Silero decision at 16 kHz (32 ms), the only size it was trained on."""
SILERO_CONTEXT = 64
"""Samples of the chunk before that Silero v5+ sees with each chunk."""
_EPS = 1e-12
_HANN = np.hanning(FRAME_SAMPLES)


def spectral_flatness(frame: np.ndarray) -> float:
    """Flatness of the Hann-windowed power spectrum of one frame, in 0..1."""
    window = _HANN if frame.size == FRAME_SAMPLES else np.hanning(frame.size)
    return float(_flatness(frame[np.newaxis] * window)[0])


def _flatness(windowed: np.ndarray) -> np.ndarray:
    power = np.abs(np.fft.rfft(windowed, axis=-1)) ** 2 + _EPS
    return np.exp(np.mean(np.log(power), axis=-1)) / np.mean(power, axis=-1)


def frame_levels(frames: np.ndarray) -> np.ndarray:
    """RMS level of each row in dBFS, floored as :func:`analyzers.voice.loudness.rms_dbfs` is."""
    mean_square = np.mean(np.square(frames, dtype=np.float64), axis=-1)
    with np.errstate(divide="ignore"):
        levels = 10.0 * np.log10(mean_square)
    return np.maximum(levels, SILENCE_DBFS)


class WebRtcVoice:
    """webrtcvad at an aggressiveness of 0 (lenient) to 3 (strict)."""

    def __init__(self, aggressiveness: int = 3) -> None:
        if not 0 <= aggressiveness <= 3:
            raise ValueError(f"webrtcvad aggressiveness is 0..3, got {aggressiveness}")
        self._vad = webrtcvad.Vad(aggressiveness)

    def classify(self, frames: np.ndarray) -> np.ndarray:
        pcm = (np.clip(frames, -1.0, 1.0) * 32767.0).astype("<i2")
        return np.array([self._vad.is_speech(row.tobytes(), AUDIO_RATE) for row in pcm], bool)


def silero_model_path() -> Path:
    """Silero VAD v6 as the faster-whisper wheel ships it (found without importing
    faster-whisper, which would load CTranslate2)."""
    spec = importlib.util.find_spec("faster_whisper")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("faster-whisper is not installed: it ships the Silero VAD model")
    path = Path(next(iter(spec.submodule_search_locations))) / "assets" / "silero_vad_v6.onnx"
    if not path.is_file():
        raise RuntimeError(f"the faster-whisper package has no {path.name} at {path.parent}")
    return path


@functools.cache
def _silero_session() -> Any:
    """One ONNX session per process, shared by every stream (``run`` is thread-safe; each
    stream keeps its own state)."""
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.inter_op_num_threads = 1
    options.intra_op_num_threads = 1
    options.enable_cpu_mem_arena = False
    options.log_severity_level = 4
    return onnxruntime.InferenceSession(
        str(silero_model_path()), providers=["CPUExecutionProvider"], sess_options=options
    )


class SileroVoice:
    """Silero VAD streamed over 20 ms frames (see the module's docstring)."""

    def __init__(
        self, threshold: float = 0.5, hold: float = 0.25, fresh_after: float = 0.0
    ) -> None:
        if not 0.0 < hold <= threshold < 1.0:
            raise ValueError(
                f"Silero needs 0 < hold <= threshold < 1, got hold {hold}, threshold {threshold}"
            )
        self.threshold = threshold
        self.hold = hold
        self.fresh_chunks = round(fresh_after * AUDIO_RATE / SILERO_CHUNK)
        """After this many chunks in a row below ``hold`` (0: never), the recurrent state starts
        afresh: what it learnt of the voice before the silence does not carry into the next."""
        self._session = _silero_session()
        self.reset()

    def reset(self) -> None:
        self._h = np.zeros((1, 1, 128), np.float32)
        self._c = np.zeros((1, 1, 128), np.float32)
        self._context = np.zeros(SILERO_CONTEXT, np.float32)
        self._buffer = np.zeros(0, np.float32)
        self._seen = 0  # samples of frames classified
        self._probs = np.zeros(1, np.float32)  # chunk k's probability at [k - self._base + 1]
        self._base = 0  # the index of the first chunk held
        self._speaking = False
        self._low = 0  # chunks in a row below the hold
        self.freshened = 0

    def probabilities(self, frames: np.ndarray) -> np.ndarray:
        """Silero's speech probability for each frame: the latest chunk complete by the frame's
        end (0 before the first), so what a frame-by-frame caller would have had."""
        self._buffer = np.concatenate([self._buffer, frames.reshape(-1)])
        count = self._buffer.size // SILERO_CHUNK
        if count:
            chunks = self._buffer[: count * SILERO_CHUNK].reshape(count, SILERO_CHUNK)
            self._buffer = self._buffer[count * SILERO_CHUNK :]
            before = np.vstack([self._context, chunks[:-1, -SILERO_CONTEXT:]])
            self._context = chunks[-1, -SILERO_CONTEXT:].copy()
            self._probs = np.concatenate([self._probs, self._run(np.hstack([before, chunks]))])
        ends = self._seen + FRAME_SAMPLES * np.arange(1, frames.shape[0] + 1)
        out = self._probs[ends // SILERO_CHUNK - self._base]
        self._seen = int(ends[-1]) if ends.size else self._seen
        keep = self._seen // SILERO_CHUNK - self._base  # the latest complete chunk stays
        self._probs, self._base = self._probs[keep:], self._base + keep
        return out

    def _run(self, inputs: np.ndarray) -> np.ndarray:
        """Each chunk's probability, the state carried from chunk to chunk, and started afresh
        after ``fresh_chunks`` below the hold (the chunks after it run again from there)."""
        out: list[np.ndarray] = []
        while inputs.shape[0]:
            probs, h, c = self._session.run(None, {"input": inputs, "h": self._h, "c": self._c})
            probs = np.asarray(probs, np.float32).ravel()
            fresh = self._fresh_at(probs)
            if fresh is None:
                self._h, self._c = h, c
                out.append(probs)
                break
            out.append(probs[: fresh + 1])
            self._h = np.zeros_like(self._h)
            self._c = np.zeros_like(self._c)
            self.freshened += 1
            inputs = inputs[fresh + 1 :]
        return np.concatenate(out) if out else np.zeros(0, np.float32)

    def _fresh_at(self, probs: np.ndarray) -> int | None:
        """The chunk after which the state starts afresh, if one of ``probs`` completes a run of
        ``fresh_chunks`` below the hold (counted across calls)."""
        if not self.fresh_chunks:
            return None
        for i, p in enumerate(probs.tolist()):
            self._low = self._low + 1 if p < self.hold else 0
            if self._low == self.fresh_chunks:
                return i
        return None

    def classify(self, frames: np.ndarray) -> np.ndarray:
        said = np.zeros(frames.shape[0], bool)
        for i, p in enumerate(self.probabilities(frames).tolist()):
            floor = self.hold if self._speaking else self.threshold
            self._speaking = p >= floor
            said[i] = self._speaking
        return said


class VoiceActivityDetector:
    """Classifies 20 ms frames of 16 kHz mono float32 audio; :mod:`analyzers.voice.speech_events`
    turns the decisions into speech stretches."""

    def __init__(
        self,
        *,
        model: VadModel = "silero",
        aggressiveness: int = 3,
        threshold: float = 0.5,
        hold: float = 0.25,
        fresh_after: float = 0.0,
        min_dbfs: float = -50.0,
        max_flatness: float = 0.3,
    ) -> None:
        """``aggressiveness`` applies to webrtcvad, ``threshold``, ``hold`` and
        ``fresh_after`` to Silero."""
        self._silero = SileroVoice(threshold, hold, fresh_after) if model == "silero" else None
        self._edges = WebRtcVoice(aggressiveness)
        self._min_dbfs = min_dbfs
        self._max_flatness = max_flatness

    def reset(self) -> None:
        """Forget what was heard (Silero's state; webrtcvad adapts again from the next frame)."""
        if self._silero is not None:
            self._silero.reset()

    def frame_is_speech(self, frame: np.ndarray) -> bool:
        if frame.size != FRAME_SAMPLES:
            raise ValueError(f"a VAD frame is {FRAME_SAMPLES} samples, got {frame.size}")
        return bool(self.frames_are_speech(frame.reshape(1, -1))[0])

    def frames_are_speech(self, frames: np.ndarray) -> np.ndarray:
        """One decision per row of ``frames`` (``(n, 320)``, consecutive)."""
        return self.decide(frames)[0]

    def decide(self, frames: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per row of ``frames`` (``(n, 320)``, consecutive): speech, and *edge*: whether
        webrtcvad hears voice there (what dates a speech start to the 20 ms,
        :mod:`analyzers.voice.speech_events`). The level and flatness gates are computed for all
        rows at once. Silero hears every frame (its state is a sequence); webrtcvad adapts to what
        it hears, so it hears exactly the frames that pass the gates, in order."""
        if frames.ndim != 2 or frames.shape[1] != FRAME_SAMPLES:
            raise ValueError(f"VAD frames are (n, {FRAME_SAMPLES}), got {frames.shape}")
        gated = frame_levels(frames) >= self._min_dbfs
        loud = np.flatnonzero(gated)
        if loud.size:
            gated[loud] = _flatness(frames[loud] * _HANN) < self._max_flatness
        edge = np.zeros(frames.shape[0], bool)
        passed = np.flatnonzero(gated)
        if passed.size:
            edge[passed] = self._edges.classify(frames[passed])
        if self._silero is None:
            return edge, edge
        return gated & self._silero.classify(frames), edge
