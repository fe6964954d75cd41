"""What a session's media pipeline needs to know, independent of where settings come from."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class PipelineConfig:
    video_fps: float = 5.0
    """Frames fully analysed per second of media, at most; the rest are drained and counted as
    skipped (the eye probe may still look at them)."""
    min_video_fps: float = 2.0
    """Under load the full-analysis rate of every session is lowered, down to this, to keep
    results on time (``webrtc/scheduler.py``)."""
    latency_target: float = 0.1
    """Seconds from a frame reaching the server to its analysis being done that the 95th
    percentile is held under, by lowering the rate."""
    analysis_threads: int = 0
    """Threads shared by every session's analysis (0 = one per usable core)."""
    max_analysis_width: int = 960
    """Wider frames are scaled down (keeping aspect) before analysis."""
    tile_scan: bool = True
    """Look for small faces in zoomed tiles when the whole-frame pass finds none."""
    blink_fps: float = 15.0
    """Rate of the cheap eye pass between full analyses (0 = off): blinks last 100-400 ms."""
    expression_backend: str = "fer"
    """``fer``, ``deepface`` or ``none``."""
    expression_model_path: Path | None = None
    eye_contact_tolerance: float = 12.0
    summary_interval: float = 2.0
    """Seconds between ``summary`` messages."""
    summary_window: float = 30.0
    """Seconds of media a ``summary`` covers."""
    audio_window_ms: int = 200
    vad_aggressiveness: int = 3
    min_pause: float = 0.6
    """Silences between speech at least this long (seconds) are pauses."""
    language: str = "en"
    """Language of the speech, for words per minute (``en``, ``cmn``)."""
    audio_batch_ms: int = 100
    """Decoded audio is analysed in batches of this much (speech events wait up to this long)."""
    audio_backlog_frames: int = 250
    """Decoded audio frames (20 ms each) held while analysis catches up; older ones are dropped."""
    heartbeat_interval: float = 2.0
    """How often clients should send a ``ping``; advertised in ``session.ready``."""
    heartbeat_timeout: float = 10.0
    """A session whose channel has been silent this long is closed."""
    connect_timeout: float = 20.0
    """A session whose data channel has not opened after this long is closed."""
    max_message_bytes: int = 1100
    """Messages above this are split into ``chunk`` messages."""
    channel_messages_per_second: float = 20.0
    """Client messages accepted per second (burst twice that); the rest are dropped."""
    max_duration: float = 0.0
    """Sessions are closed after this many seconds (0 = no limit)."""
    max_buffered_bytes: int = 256 * 1024
    """Results are dropped (and counted) rather than queued beyond this outbound backlog."""
