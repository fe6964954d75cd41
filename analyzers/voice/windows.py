"""Streaming audio analysis of 16 kHz mono float32 speech: push samples as they arrive, get back
speech events as they happen and one result per window.

Per 20 ms frame: voice activity, and speech start/stop events with hangover smoothing
(:mod:`analyzers.voice.speech_events`). Per window (default 200 ms): loudness, whether it was
speech, pitch on voiced hops only, spectral centroid and flatness (:mod:`analyzers.voice.prosody`),
and syllable nuclei for the speaking rate (:mod:`analyzers.voice.speaking_rate`). Rolling summaries
come from :meth:`AudioAnalyzer.summary`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from analyzers import AUDIO_RATE, SUMMARY_WINDOW
from analyzers.voice.activity import FRAME_SAMPLES, VadModel, VoiceActivityDetector
from analyzers.voice.loudness import rms_dbfs
from analyzers.voice.prosody import FRAME, track
from analyzers.voice.speaking_rate import SYLLABLES_PER_WORD, SyllableCounter
from analyzers.voice.speech_events import (
    FRAME_SECONDS,
    Pause,
    SpeechEvent,
    SpeechStarted,
    SpeechTracker,
)
from analyzers.voice.summary import TURN_GAP, AudioSummary, AudioSummaryTracker


@dataclass(frozen=True)
class AudioWindowResult:
    """One analysed window. ``t`` is the media time of its first sample, in seconds."""

    t: float
    duration: float
    speech: bool
    """Speech (after hangover smoothing) for at least half the window."""
    voiced_fraction: float
    """Share of 20 ms frames the voice-activity detector called speech."""
    rms_dbfs: float
    pitch_hz: float | None
    """Median F0 over the window's voiced hops; ``None`` when fewer than 3 are voiced."""
    spectral_centroid_hz: float | None
    spectral_flatness: float | None


AudioOutput = AudioWindowResult | SpeechEvent | Pause

GAP_TOLERANCE = 0.01
"""Seconds by which a push may start later than the samples before it end and still count as
contiguous: half a 20 ms frame, well above a resampler's delay. A later start is a gap: audio
was lost (packets) or dropped (a backlog), and what follows is re-dated."""


def follows(start: float, samples: int, t: float) -> bool:
    """Whether samples at ``t`` continue ``samples`` samples that began at ``start``."""
    return t - (start + samples / AUDIO_RATE) <= GAP_TOLERANCE


@dataclass(frozen=True)
class AudioAnalysisOptions:
    window_ms: int = 200
    vad_model: VadModel = "silero"
    """``silero`` (holds on real rooms and hoarse voices) or ``webrtc``; see
    :mod:`analyzers.voice.activity`."""
    vad_threshold: float = 0.5
    """Silero's speech probability that starts speech."""
    vad_hold: float = 0.25
    """Silero's speech probability that keeps speech going once started."""
    vad_fresh_after: float = 1.2
    """Seconds below the hold after which Silero's recurrent state starts afresh (0: never):
    the voice before a silence does not dull the one after it (:mod:`..activity`)."""
    vad_aggressiveness: int = 3
    """webrtcvad's, when it is the model."""
    min_pause: float = 0.6
    summary_window: float = SUMMARY_WINDOW
    language: str = "en"
    turn_gap: float = TURN_GAP
    """A silence this long or longer ends a speaking turn (pace is words over turn time)."""


class AudioAnalyzer:
    """One instance per stream, used from one thread."""

    def __init__(self, options: AudioAnalysisOptions | None = None) -> None:
        self.options = options or AudioAnalysisOptions()
        window_samples = AUDIO_RATE * self.options.window_ms // 1000
        if window_samples <= 0 or window_samples % FRAME_SAMPLES:
            raise ValueError(
                f"window_ms must be a positive multiple of 20, got {self.options.window_ms}"
            )
        if self.options.language not in SYLLABLES_PER_WORD:
            raise ValueError(
                f"no syllables-per-word figure for language {self.options.language!r}; "
                f"known: {', '.join(sorted(SYLLABLES_PER_WORD))}"
            )
        self.window_samples = window_samples
        self._vad = VoiceActivityDetector(
            model=self.options.vad_model,
            aggressiveness=self.options.vad_aggressiveness,
            threshold=self.options.vad_threshold,
            hold=self.options.vad_hold,
            fresh_after=self.options.vad_fresh_after,
        )
        self._speech = SpeechTracker(min_pause=self.options.min_pause)
        self._syllables = SyllableCounter()
        per_word = SYLLABLES_PER_WORD[self.options.language]
        self._summary = AudioSummaryTracker(
            window=self.options.summary_window,
            syllables_per_word=per_word,
            turn_gap=self.options.turn_gap,
        )
        self._session = AudioSummaryTracker(
            window=None, syllables_per_word=per_word, turn_gap=self.options.turn_gap
        )
        self._trackers = (self._summary, self._session)
        self._pending = np.zeros(0, np.float32)
        self._pending_t: float | None = None
        self._frame_offset = 0  # samples of _pending already given to the VAD
        self._window_voiced = 0
        self._window_speaking = 0
        self._context = np.zeros(FRAME - FRAME_SAMPLES, np.float32)
        self._t = 0.0
        self.windows = 0
        """Windows analysed so far."""

    def push(self, samples: np.ndarray, t: float) -> list[AudioOutput]:
        """Append samples whose first one is at media time ``t``.

        A push that starts within :data:`GAP_TOLERANCE` of where the samples before it ended
        (or earlier) continues them. After a gap, what follows is dated by ``t``: a gap of up
        to :meth:`max_fill` seconds is filled with silence, so that the window grid goes on
        unbroken (audio lost for a moment was silence to anyone listening); a longer one
        closes the current window with silence and starts the grid again at ``t``."""
        outputs: list[AudioOutput] = []
        if self._pending_t is None:
            self._pending_t = t
        elif not follows(self._pending_t, self._pending.size, t):
            gap = t - self._expected_t()
            if gap <= self.max_fill:
                filler = np.zeros(round(gap * AUDIO_RATE), np.float32)
                samples = np.concatenate([filler, samples.astype(np.float32, copy=False)])
            else:
                outputs = self._restart_at(t)
        self._pending = np.concatenate([self._pending, samples.astype(np.float32, copy=False)])
        count = (self._pending.size - self._frame_offset) // FRAME_SAMPLES
        end = self._frame_offset + count * FRAME_SAMPLES
        frames = self._pending[self._frame_offset : end].reshape(count, FRAME_SAMPLES)
        speech, edges = self._vad.decide(frames)
        for voiced, edge in zip(speech.tolist(), edges.tolist(), strict=True):
            frame_t = self._pending_t + self._frame_offset / AUDIO_RATE
            self._window_voiced += voiced
            for event in self._speech.update(voiced, frame_t, edge):
                outputs.append(event)
                for tracker in self._trackers:
                    if isinstance(event, Pause):
                        tracker.add_pause(event)
                    elif isinstance(event, SpeechStarted):
                        tracker.speech_started(event.t)
                    else:
                        tracker.speech_stopped(event.t)
            self._window_speaking += self._speech.speaking
            self._frame_offset += FRAME_SAMPLES
            if self._frame_offset >= self.window_samples:
                outputs.append(self._close_window())
        return outputs

    @property
    def max_fill(self) -> float:
        """The longest gap filled with silence: a second, or one window if that is longer."""
        return max(1.0, self.window_samples / AUDIO_RATE)

    def _restart_at(self, t: float) -> list[AudioOutput]:
        """Close the current window (padded with silence) and start the grid again at ``t``."""
        outputs: list[AudioOutput] = []
        if self._pending.size:
            missing = self.window_samples - self._pending.size
            outputs = self.push(np.zeros(missing, np.float32), self._expected_t())
        self._pending = np.zeros(0, np.float32)
        self._frame_offset = 0
        self._window_voiced = self._window_speaking = 0
        self._pending_t = t
        self._t = t
        return outputs

    def _expected_t(self) -> float:
        assert self._pending_t is not None
        return self._pending_t + self._pending.size / AUDIO_RATE

    def _close_window(self) -> AudioWindowResult:
        assert self._pending_t is not None
        size = self.window_samples
        window, self._pending = self._pending[:size], self._pending[size:]
        t = self._pending_t
        frames = size // FRAME_SAMPLES
        hops = track(np.concatenate([self._context, window]), t - self._context.size / AUDIO_RATE)
        self._context = window[-self._context.size :].copy()
        self._syllables.update(hops.times, hops.intensity_db, hops.voiced)
        f0 = hops.f0[hops.voiced]
        level = rms_dbfs(window)
        speaking_seconds = self._window_speaking * FRAME_SECONDS
        for tracker in self._trackers:
            tracker.add_window(
                t, size / AUDIO_RATE, speaking_seconds, self._window_voiced / frames, level, f0
            )
        result = AudioWindowResult(
            t=t,
            duration=size / AUDIO_RATE,
            speech=self._window_speaking * 2 >= frames,
            voiced_fraction=self._window_voiced / frames,
            rms_dbfs=level,
            pitch_hz=float(np.median(f0)) if f0.size >= 3 else None,
            spectral_centroid_hz=float(np.mean(hops.centroid_hz[hops.voiced]))
            if hops.voiced.any()
            else None,
            spectral_flatness=float(np.mean(hops.flatness[hops.voiced]))
            if hops.voiced.any()
            else None,
        )
        self.windows += 1
        self._pending_t = t + size / AUDIO_RATE
        self._frame_offset -= size
        self._window_voiced = self._window_speaking = 0
        self._t = self._pending_t
        return result

    def summary(self) -> AudioSummary:
        window_start = self._t - self.options.summary_window
        return self._summary.summary(self._t, self._syllables.count_since(window_start))

    def session_summary(self) -> AudioSummary:
        """The same summary over the whole session."""
        return self._session.summary(self._t, self._syllables.total)

    def session_pauses(self) -> list[Pause]:
        """Every pause of the session (silences between speech of ``min_pause`` or more)."""
        return self._session.pauses()

    @property
    def seconds(self) -> float:
        """Seconds of audio analysed."""
        return self.windows * self.window_samples / AUDIO_RATE

    def reset(self) -> None:
        self._vad.reset()
        self._speech.reset()
        self._syllables.reset()
        self.windows = 0
        for tracker in self._trackers:
            tracker.reset()
        self._pending = np.zeros(0, np.float32)
        self._pending_t = None
        self._frame_offset = 0
        self._window_voiced = self._window_speaking = 0
