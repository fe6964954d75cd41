"""End of turn: whether a person who has stopped talking is done, or only pausing mid-thought.

A fixed silence cannot tell "I would just write some unit tests." from "and then I, um..."; an
end-of-turn model listens to how the speech before the silence ends (its words, its intonation)
and says how likely the turn is complete. The model here is Smart Turn v3.2 (BSD-2-Clause,
Pipecat's open end-of-turn model: a Whisper-tiny encoder with a classification head, 23
languages, Mandarin among them), run by ONNX Runtime on one thread. Its input is the 80-bin
Whisper log-mel spectrogram of the last 8 s of 16 kHz audio, left-padded with zeros when the turn
is shorter; its output one probability.

:class:`TurnWatcher` runs it the way a voice agent does: only during silences, once per
silence, when it has lasted ``ask_after`` seconds, on the audio of the turn so far (from a
little before its first speech, at most 8 s). What to do with the answer (end an answer a second
into the silence when the turn is complete, keep waiting when not) is the caller's: the
interview flow (:mod:`analyzers.interview.flow`). Measured in ``docs/interview.md``.
"""

from __future__ import annotations

import functools
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from analyzers import AUDIO_RATE
from analyzers.voice.mel import power_mel
from analyzers.voice.speech_events import SpeechStarted, SpeechStopped

CONTEXT_SECONDS = 8.0
"""Seconds of audio the model hears (the newest)."""
_N_FFT = 400
_HOP = 160
_MELS = 80


@dataclass(frozen=True)
class TurnParams:
    """When the end-of-turn model is asked, and what it must say."""

    ask_after: float = 0.4
    """Seconds of silence after speech before the model is asked (once per silence)."""
    threshold: float = 0.5
    """Probability at or above which the turn is complete (the model's own cut)."""
    lead: float = 0.5
    """Seconds of audio kept before the turn's first speech (a soft onset)."""


@dataclass(frozen=True)
class TurnPrediction:
    """The model's judgement of one silence. ``t`` is when the silence began (the end of the
    last speech), ``asked_at`` the end of the audio it heard."""

    t: float
    asked_at: float
    probability: float
    complete: bool
    elapsed_ms: float = 0.0
    """CPU time of the call (features and model), for the benchmarks."""


@dataclass(frozen=True)
class TurnQuestion:
    """A silence the model is due to judge: ``samples`` is the turn's audio up to ``asked_at``
    (the live server judges it on a thread of its own, :func:`judge` anywhere)."""

    t: float
    asked_at: float
    samples: np.ndarray


class TurnModel(Protocol):
    def prepare(self) -> None:
        """Load what the model needs (may take a moment)."""
        ...

    def complete_probability(self, samples: np.ndarray) -> float:
        """How likely the turn whose audio ends ``samples`` (16 kHz mono float32) is done."""
        ...


def whisper_log_mel(samples: np.ndarray, seconds: float = CONTEXT_SECONDS) -> np.ndarray:
    """The model's input for the last ``seconds`` of ``samples``: ``(80, seconds x 100)``
    float32. The audio is left-padded with zeros (or cut to its end), normalised to zero mean and
    unit variance, then turned into Whisper's log-mel spectrogram (centred frames, log10 floored
    8 below the peak, scaled by ``(x + 4) / 4``), as the model was trained on."""
    size = round(seconds * AUDIO_RATE)
    audio = np.asarray(samples, np.float32)[-size:]
    if audio.size < size:
        audio = np.concatenate([np.zeros(size - audio.size, np.float32), audio])
    audio = (audio - audio.mean()) / np.sqrt(audio.var() + 1e-7)
    power = power_mel(audio, _MELS, _N_FFT, _HOP).T
    mel = np.log10(np.maximum(power, 1e-10))[:, :-1]
    mel = np.maximum(mel, mel.max() - 8.0)
    return ((mel + 4.0) / 4.0).astype(np.float32)


@functools.cache
def _session(path: str) -> Any:
    """One ONNX session per model file and process, shared by every stream (``run`` is
    thread-safe; the streams keep their own state)."""
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.inter_op_num_threads = 1
    options.intra_op_num_threads = 1
    options.log_severity_level = 4
    return onnxruntime.InferenceSession(
        path, providers=["CPUExecutionProvider"], sess_options=options
    )


class SmartTurn:
    """Smart Turn v3.2 from its ONNX file (taken out of the ``pipecat-ai`` wheel by the model
    registry: ``modelfiles.registry.SMART_TURN``)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def prepare(self) -> None:
        """Load the model (once per process), off the event loop."""
        _session(str(self.path))

    def complete_probability(self, samples: np.ndarray) -> float:
        session = _session(str(self.path))
        features = whisper_log_mel(samples)[np.newaxis]
        output = session.run(None, {session.get_inputs()[0].name: features})[0]
        return float(np.asarray(output).reshape(-1)[0])


def judge(model: TurnModel, question: TurnQuestion, threshold: float) -> TurnPrediction:
    """The model's judgement of ``question``, with its CPU time."""
    started = time.process_time()
    probability = model.complete_probability(question.samples)
    elapsed = (time.process_time() - started) * 1000.0
    return TurnPrediction(
        question.t, question.asked_at, probability, probability >= threshold, elapsed
    )


class TurnWatcher:
    """Follows one stream's speech events and asks once per silence: with a ``model``, its
    judgement (:class:`TurnPrediction`), without one the question, for the caller to have it
    judged elsewhere (:class:`TurnQuestion`).

    A turn's audio starts ``lead`` seconds before its first speech after a silence of
    :data:`CONTEXT_SECONDS` or more (or after :meth:`reset`), and is at most that long."""

    def __init__(self, model: TurnModel | None, params: TurnParams | None = None) -> None:
        self.model = model
        self.params = params or TurnParams()
        self._audio: deque[tuple[float, np.ndarray]] = deque()
        self._held = 0
        self._turn_from: float | None = None
        """When the turn's first speech began (``None``: no speech since the last turn)."""
        self._silent_since: float | None = None
        self._asked = False
        self.calls = 0

    def reset(self) -> None:
        """A new turn starts (the interviewer asked something): what was heard is forgotten."""
        self._audio.clear()
        self._held = 0
        self._turn_from = self._silent_since = None
        self._asked = False

    def update(
        self, samples: np.ndarray, t: float, events: Sequence[object]
    ) -> list[TurnQuestion | TurnPrediction]:
        """Samples pushed at media time ``t`` with the analysis outputs they completed."""
        self._keep(samples, t)
        end = t + samples.size / AUDIO_RATE
        for event in events:
            if isinstance(event, SpeechStarted):
                quiet = self._silent_since
                if self._turn_from is None or (
                    quiet is not None and event.t - quiet >= CONTEXT_SECONDS
                ):
                    self._turn_from = event.t
                self._silent_since, self._asked = None, False
            elif isinstance(event, SpeechStopped):
                self._silent_since, self._asked = event.t, False
        since = self._silent_since
        if self._turn_from is None or since is None or self._asked:
            return []
        if end - since < self.params.ask_after - 1e-6:
            return []
        self._asked = True
        assert self._turn_from is not None
        start = max(self._turn_from - self.params.lead, end - CONTEXT_SECONDS)
        question = TurnQuestion(since, end, self._between(start, end))
        self.calls += 1
        if self.model is None:
            return [question]
        return [judge(self.model, question, self.params.threshold)]

    def _keep(self, samples: np.ndarray, t: float) -> None:
        self._audio.append((t, samples))
        self._held += samples.size
        limit = round((CONTEXT_SECONDS + self.params.lead + 1.0) * AUDIO_RATE)
        while self._audio and self._held - self._audio[0][1].size >= limit:
            self._held -= self._audio.popleft()[1].size

    def _between(self, start: float, end: float) -> np.ndarray:
        pieces = []
        for t, chunk in self._audio:
            first = max(0, round((start - t) * AUDIO_RATE))
            last = min(chunk.size, round((end - t) * AUDIO_RATE))
            if last > first:
                pieces.append(chunk[first:last])
        return np.concatenate(pieces) if pieces else np.zeros(0, np.float32)
