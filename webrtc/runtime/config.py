"""What a session's media pipeline needs to know, independent of where settings come from.

Each component owns its parameters and their defaults: the stream core and the analyzers in
:class:`~analyzers.session.stream.StreamParams` (with the analyzers' own options inside it), the
live shell here. ``signaling/settings.py`` reads the environment into these and writes no default of
its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from analyzers.interview.flow import InterviewTimes
from analyzers.session.coach import CoachThresholds
from analyzers.session.stream import StreamParams
from analyzers.words.language import language_family


@dataclass(frozen=True)
class PipelineConfig:
    stream: StreamParams = field(default_factory=StreamParams)
    """Sampling, batching, summaries and every analyzer's options: the same on every path."""
    coach: CoachThresholds = field(default_factory=CoachThresholds)
    """When live ``nudge`` messages fire (``analyzers/session/coach.py``)."""
    interview: InterviewTimes = field(default_factory=InterviewTimes)
    """Think time, answer time and the silence that ends an answer, for interview sessions
    (``analyzers/interview/flow.py``)."""
    voice_model: tuple[Path, Path] | None = None
    """The Piper voice's model and configuration (``None``: the interviewer speaks with
    espeak-ng, or not at all)."""
    turn_model_path: Path | None = None
    """The end-of-turn model's ONNX file (``analyzers/voice/turn.py``); ``None``: interview
    answers end on silence alone."""
    speakers_model_path: Path | None = None
    """The voice encoder (``analyzers/voice/speakers.py``) that tells a recording's two voices
    apart; ``None``: an upload's voices are not told apart."""
    min_video_fps: float = 2.0
    """Under load the full-analysis rate of every session is lowered, down to this, to keep
    results on time (``webrtc/runtime/scheduler.py``)."""
    latency_target: float = 0.1
    """Seconds from a frame reaching the server to its analysis being done that the 95th
    percentile is held under, by lowering the rate."""
    analysis_threads: int = 0
    """Threads shared by every session's analysis (0 = one per usable core)."""
    max_analysis_width: int = 960
    """Wider frames are scaled down (keeping aspect) before analysis."""
    expression_backend: str = "fer"
    """``fer``, ``deepface`` or ``none``."""
    expression_model_path: Path | None = None
    audio_backlog_frames: int = 250
    """Decoded audio frames (one per packet, 20-60 ms each) held while analysis catches up;
    older ones are dropped."""
    audio_ptime: int = 60
    """Milliseconds of audio per packet the answer asks the peer's Opus encoder for
    (``a=ptime``; 0: ask nothing). Fewer packets, less receive work (``webrtc/peer/rtp.py``)."""
    heartbeat_interval: float = 2.0
    """How often clients should send a ``ping``; advertised in ``session.ready``."""
    heartbeat_timeout: float = 10.0
    """A session whose channel has been silent this long is closed."""
    connect_timeout: float = 20.0
    """A session whose data channel has not opened after this long is closed."""
    reconnect_grace: float = 30.0
    """Seconds an interview whose page went away (a reload, a lost network) waits for a new
    peer connection into it before it ends with its report (0: it ends at once)."""
    max_message_bytes: int = 1100
    """Messages above this are split into ``chunk`` messages (small-MTU paths)."""
    channel_messages_per_second: float = 20.0
    """Client messages accepted per second (burst twice that); the rest are dropped."""
    max_session_seconds: float = 3 * 3600.0
    """Sessions are ended after this long (0 = no limit)."""
    checkpoint_interval: float = 15.0
    """Seconds between checkpoints: the report so far, handed to the store so that a session
    whose worker dies still has one (0: none)."""
    max_buffered_bytes: int = 256 * 1024
    """Results are dropped (and counted) rather than queued beyond this outbound backlog."""
    asr_model_dir: Path | None = None
    asr_model_dir_zh: Path | None = None
    """The model Mandarin sessions use when ``asr_model_dir`` is English only (``None``: the
    same model for every language)."""

    def asr_dir(self, language: str | None) -> Path | None:
        """The recognition model for a session in ``language``."""
        if language_family(language or "en") == "zh" and self.asr_model_dir_zh is not None:
            return self.asr_model_dir_zh
        return self.asr_model_dir

    """A CTranslate2 Whisper model directory; ``None``: no transcripts."""
    asr_workers: int = 1
    """Threads recognising speech for every session (each CTranslate2 with one thread); with
    ``asr_url``, the calls in flight to it."""
    asr_batch: int = 1
    """Utterances decoded at once, their model calls batched (``analyzers/words/batching.py``);
    1: one call at a time."""
    asr_window: float | None = None
    """Shortest encoder window (seconds) a call is fitted to; ``None``: Whisper's 30 s."""
    asr_url: str | None = None
    """An OpenAI-compatible ``/v1/audio/transcriptions`` server that recognises the utterances
    (the local model answers when it fails); ``None``: the local model only."""
    asr_remote_model: str = ""
    """The model name sent to ``asr_url`` (empty: the local model's name)."""
    asr_timeout: float = 20.0
    """Seconds a call to ``asr_url`` may take before the local model answers instead."""
    partial_max_load: float = 0.5
    """Partial transcripts are made only while the process uses less than this share of its
    cores (a partial call costs as much as a final one)."""
    transcript_backlog: float = 90.0
    """Seconds of speech waiting for recognition past which transcripts are deferred to the
    end of their session."""
    transcript_deferred_max: float = 1800.0
    """Seconds of speech one session may have set aside; beyond, counted as missing."""
    transcript_finish_timeout: float = 60.0
    """How long a session's end waits for its last transcripts before the report is made."""
