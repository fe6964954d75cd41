"""Every setting of the server, read once from ``LENS_*`` environment variables.

A setting that belongs to a component (the stream core, an analyzer, the live pipeline) takes
its default from that component's parameters: a default is written in one place only, and
:meth:`Settings.pipeline` composes the components' parameters from what was read."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from analyzers.session.stream import StreamParams
from analyzers.video.frame import VideoAnalysisOptions
from analyzers.voice.activity import VadModel
from analyzers.voice.windows import AudioAnalysisOptions
from modelfiles.registry import default_cache_dir
from modelfiles.resolve import asr_model, expression_model
from webrtc.peer.udp_ports import parse_port_range
from webrtc.runtime.config import PipelineConfig
from webrtc.runtime.scheduler import usable_cores

_PIPELINE = PipelineConfig()
_STREAM = _PIPELINE.stream
_VIDEO = _STREAM.video
_AUDIO = _STREAM.audio
_COACH = _PIPELINE.coach


SESSIONS_PER_CORE = 10
"""Interviews one core holds with every analyzer on and the 95th percentile of frame-to-result
under 150 ms, by the median of five runs (``docs/benchmarks.md``, "Capacity II")."""


MIN_KEY_CHARS = 16
"""The shortest API key or TURN secret accepted (openssl rand -hex 16 gives 32)."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="LENS_", extra="ignore")

    secret: SecretStr | None = None
    """Signs session tokens (HS256). Unset: the server is open, for development only."""
    api_key: SecretStr | None = None
    """The platform's key for the management API; required with ``secret``."""
    token_ttl: float = Field(6 * 3600.0, gt=0)

    stun_urls: str = ""
    """Comma-separated STUN URLs, e.g. ``stun:stun.example.org:3478``."""
    turn_urls: str = ""
    """Comma-separated TURN URLs, e.g.
    ``turn:turn.example.org:3478?transport=udp,turns:turn.example.org:443?transport=tcp``."""
    turn_secret: SecretStr | None = None
    """coturn's ``static-auth-secret``."""
    turn_ttl: int = Field(6 * 3600, ge=60)
    """Seconds TURN credentials stay valid."""

    udp_ports: str = ""
    """WebRTC media ports, ``LOW-HIGH`` (e.g. ``50000-50199``); empty: any ephemeral port."""

    host: str = "127.0.0.1"
    port: int = Field(8080, ge=0, le=65535)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"

    max_body_bytes: int = Field(64 * 1024, ge=1024, description="Largest accepted request body.")
    max_tracks: int = Field(4, ge=1)
    """Audio and video m-sections one offer may carry."""
    rate_limit_per_minute: float = Field(60.0, gt=0)
    """Session creations and offers one client address may make per minute (burst: 20)."""
    rate_limit_burst: int = Field(20, ge=1)
    auth_failures_per_minute: float = Field(10.0, gt=0)
    """Failed authentications one client address may make per minute (burst: 10); past it,
    every request it makes with credentials is ``429`` until the budget refills."""
    trust_forwarded: bool = False
    """Take the client address from ``X-Forwarded-For`` (only behind a proxy you run)."""
    http_idle_timeout: float = Field(15.0, gt=0)
    """Seconds a connection may stay open without sending a whole request's headers (an idle
    keep-alive connection, or a client sending its headers slowly); then it is closed."""
    body_timeout: float = Field(20.0, gt=0)
    """Seconds a request body may take to arrive (``408 request_timeout`` after); uploads get
    one more second per ``LENS_MIN_UPLOAD_RATE`` bytes."""
    min_upload_rate: int = Field(64 * 1024, ge=1024)
    """Bytes per second an upload must keep up, on average, after its first
    ``LENS_BODY_TIMEOUT`` seconds."""
    max_connections: int = Field(4096, ge=16)
    """Open HTTP connections one worker accepts (never more than half its open-file limit);
    further ones get ``503 too_many_connections`` and are closed."""
    max_connections_per_address: int = Field(32, ge=1)
    """Open HTTP connections from one client address (not applied with
    ``LENS_TRUST_FORWARDED``: behind a proxy every connection comes from the proxy)."""
    drain_timeout: float = Field(600.0, ge=0)
    """On SIGTERM, seconds live sessions get to finish before they are ended (with their
    reports); a second SIGTERM or SIGINT ends them at once."""
    cors_origins: str = ""
    """Comma-separated origins allowed to call the API from a browser (``*`` for any)."""
    max_message_bytes: int = Field(_PIPELINE.max_message_bytes, ge=400)
    """Data-channel messages above this are sent in ``chunk`` messages (small-MTU paths)."""
    channel_messages_per_second: float = Field(_PIPELINE.channel_messages_per_second, gt=0)
    """Client messages a session accepts per second (burst twice that); the rest are dropped."""
    max_sessions: int = Field(0, ge=0)
    """Live sessions one worker holds at once; further offers get 503 with Retry-After.
    0: :data:`SESSIONS_PER_CORE` for each core the worker may run on."""
    max_sdp_bytes: int = Field(32 * 1024, ge=512, description="Largest accepted SDP offer.")

    video_fps: float = Field(_STREAM.video_fps, gt=0, le=30)
    min_video_fps: float = Field(_PIPELINE.min_video_fps, gt=0, le=30)
    """Under load, every session's full-analysis rate is lowered down to this."""
    latency_target: float = Field(_PIPELINE.latency_target, gt=0, le=5)
    """Seconds (95th percentile, frame received to analysed) the rate is lowered to hold."""
    analysis_threads: int = Field(_PIPELINE.analysis_threads, ge=0, le=64)
    """Threads shared by all sessions' analysis (0 = one per usable core)."""
    event_loop: Literal["auto", "uvloop", "asyncio"] = "auto"
    """``server.py``'s event loop: ``auto`` is uvloop where it is installed."""
    gil_switch_interval: float = Field(0.001, gt=0, le=0.1)
    """``sys.setswitchinterval`` for ``server.py``: how long a thread waits for the GIL."""
    max_analysis_width: int = Field(_PIPELINE.max_analysis_width, ge=160)
    tile_scan: bool = _VIDEO.tile_scan
    mesh_reuse_below: float = Field(_VIDEO.mesh_reuse_below, ge=0)
    blink_fps: float = Field(_STREAM.blink_fps, ge=0, le=30)
    expression_backend: Literal["fer", "deepface", "none"] = _PIPELINE.expression_backend  # type: ignore[assignment]
    model_dir: Path = Field(default_factory=default_cache_dir)
    eye_contact_tolerance: float = Field(_VIDEO.eye_contact_tolerance, gt=0, le=45)
    eye_contact_pitch_tolerance: float = Field(_VIDEO.eye_contact_pitch_tolerance, gt=0, le=45)
    posture_interval: float = Field(_STREAM.posture_interval, ge=0)
    """Seconds between posture samples (MediaPipe Pose, on a low-priority thread); 0: off."""
    posture_hands: bool = _STREAM.posture_hands
    """Each posture sample also looks for hands (MediaPipe Hands): a hand over the face."""
    nudge_interval: float = Field(_COACH.interval, ge=0)
    """Seconds between two live ``nudge`` messages of a session, at least; 0: no nudges."""
    nudge_pace_max_wpm: float = Field(_COACH.pace_max_wpm, gt=0)
    nudge_fillers_per_min: float = Field(_COACH.fillers_max_per_min, gt=0)
    nudge_eye_contact_min: float = Field(_COACH.eye_contact_min, ge=0, le=1)
    nudge_level_min_dbfs: float = Field(_COACH.level_min_dbfs, le=0)
    nudge_pitch_min_semitones: float = Field(_COACH.pitch_min_semitones, ge=0)
    nudge_answer_max: float = Field(_COACH.answer_max, gt=0)
    nudge_no_pause_max: float = Field(_COACH.no_pause_max, gt=0)
    nudge_face_visible_min: float = Field(_COACH.face_visible_min, ge=0, le=1)
    nudge_lighting_max: float = Field(_COACH.lighting_max, ge=0, le=1)
    summary_interval: float = Field(_STREAM.summary_interval, gt=0)
    summary_window: float = Field(_VIDEO.summary_window, gt=0)
    audio_window_ms: int = Field(_AUDIO.window_ms, ge=20, le=2000, multiple_of=20)
    audio_batch_ms: int = Field(_STREAM.audio_batch_ms, ge=20, le=1000, multiple_of=20)
    """Audio is handed to the analysis threads in batches this long."""
    vad_model: VadModel = _AUDIO.vad_model
    vad_threshold: float = Field(_AUDIO.vad_threshold, gt=0, lt=1)
    vad_hold: float = Field(_AUDIO.vad_hold, gt=0, lt=1)
    vad_aggressiveness: int = Field(_AUDIO.vad_aggressiveness, ge=0, le=3)
    min_pause: float = Field(_AUDIO.min_pause, gt=0)
    turn_gap: float = Field(_AUDIO.turn_gap, gt=0)
    """Seconds of silence that end a speaking turn: pace (``speaking_rate.wpm``) is words
    per minute of turn time, pauses shorter than this included."""
    language: Literal["en", "cmn", "zh"] = _AUDIO.language  # type: ignore[assignment]
    """The language spoken unless a session says otherwise (sessions may also ask ``auto``)."""
    audio_backlog_frames: int = Field(_PIPELINE.audio_backlog_frames, ge=10)
    audio_ptime: int = Field(_PIPELINE.audio_ptime, ge=0, le=60, multiple_of=20)
    heartbeat_interval: float = Field(_PIPELINE.heartbeat_interval, gt=0)
    heartbeat_timeout: float = Field(_PIPELINE.heartbeat_timeout, gt=0)
    connect_timeout: float = Field(_PIPELINE.connect_timeout, gt=0)
    max_buffered_bytes: int = Field(_PIPELINE.max_buffered_bytes, ge=1024)

    transcript: bool = _STREAM.transcript
    partial_every: float = Field(_STREAM.partial_every, ge=0)
    """Seconds between partial transcripts of an utterance going on (0: none); sent only when
    recognition is idle."""
    """Transcribe what the person says (per session, ``transcript`` in ``POST /api/sessions``)."""
    asr_model: str = "tiny.en"
    """``tiny.en`` (English only; the cheapest, see ``docs/benchmarks.md``), ``base``
    (multilingual: English, Mandarin, detection), or a directory holding any CTranslate2 Whisper
    model."""
    asr_workers: int = Field(_PIPELINE.asr_workers, ge=1, le=16)
    partial_max_load: float = Field(_PIPELINE.partial_max_load, ge=0, le=1)
    """Partial transcripts only while the worker uses less than this share of its cores."""
    transcript_backlog: float = Field(_PIPELINE.transcript_backlog, gt=0)
    transcript_deferred_max: float = Field(_PIPELINE.transcript_deferred_max, ge=0)
    transcript_finish_timeout: float = Field(_PIPELINE.transcript_finish_timeout, ge=0)

    data_dir: Path = Path("data")
    """SQLite database (sessions and reports) when Redis is not configured, and recordings
    (``recordings/``): share it between the workers that may serve them."""
    recording: Literal["off", "allowed"] = "off"
    """Whether a session may be recorded at all (``record`` in ``POST /api/sessions``)."""
    recording_retention_days: float = Field(30.0, gt=0)
    """Recordings older than this are erased (checked hourly)."""
    redis_url: str | None = None
    redis_prefix: str = "lens"
    redis_buffer_size: int = Field(20_000, ge=10)
    results_stream_maxlen: int = Field(20_000, ge=100)
    session_record_ttl: int = Field(7 * 24 * 3600, ge=60)
    """Seconds Redis keeps a session's record, results and report."""
    session_ttl: float = Field(600.0, gt=0)
    """Seconds a session created with POST /api/sessions waits for its offer."""
    session_sync_interval: float = Field(2.0, gt=0, le=60)
    """Seconds between a worker's writes of its live sessions' records to the store, and its
    checks for those deleted through another worker."""
    worker_timeout: float = Field(20.0, gt=0)
    """Seconds after a worker's last heartbeat (written every ``LENS_SESSION_SYNC_INTERVAL``)
    at which its live sessions are taken for lost: ended with reason ``worker_lost`` and a
    report from their last checkpoint."""
    checkpoint_interval: float = Field(_PIPELINE.checkpoint_interval, ge=0)
    """Seconds between a live session's checkpoints (its report so far, kept in the store for
    the case its worker dies); 0: none."""
    max_session_seconds: float = Field(_PIPELINE.max_session_seconds, ge=0)
    """Sessions are ended after this long (0 = no limit)."""
    max_upload_bytes: int = Field(200 * 1024 * 1024, ge=1024)
    max_upload_seconds: float = Field(1800.0, gt=0)

    @property
    def session_limit(self) -> int:
        """``max_sessions``, or :data:`SESSIONS_PER_CORE` per usable core when it is 0."""
        return self.max_sessions or SESSIONS_PER_CORE * usable_cores()

    @property
    def asr_multilingual(self) -> bool:
        """Whether the speech model understands more than English (a model directory of
        one's own is taken to, unless its name ends in ``.en``)."""
        return not self.asr_model.rstrip("/").endswith(".en")

    @property
    def cors_origin_list(self) -> list[str]:
        return [o.strip() for o in self.cors_origins.split(",") if o.strip()]

    @property
    def stun_url_list(self) -> list[str]:
        return [u.strip() for u in self.stun_urls.split(",") if u.strip()]

    @property
    def turn_url_list(self) -> list[str]:
        return [u.strip() for u in self.turn_urls.split(",") if u.strip()]

    @model_validator(mode="after")
    def _auth_is_whole(self) -> Settings:
        short = [
            f"{name} must be at least {MIN_KEY_CHARS} characters (a short one is guessed in a "
            "few tries); generate one with: openssl rand -hex 16"
            for name, value in (
                ("LENS_API_KEY", self.api_key),
                ("LENS_TURN_SECRET", self.turn_secret),
            )
            if value is not None and len(value.get_secret_value()) < MIN_KEY_CHARS
        ]
        if self.secret is not None and len(self.secret.get_secret_value().encode()) < 32:
            short.append(
                "LENS_SECRET must be at least 32 bytes (HS256 keys shorter than the hash can be "
                "guessed); generate one with: openssl rand -hex 32"
            )
        if short:  # every short one at once, none of their values
            raise ValueError("; ".join(short))
        if (self.secret is None) != (self.api_key is None):
            raise ValueError(
                "set LENS_SECRET and LENS_API_KEY together (or neither, for development)"
            )
        if self.udp_ports:
            parse_port_range(self.udp_ports)
        if self.vad_hold > self.vad_threshold:
            raise ValueError(
                f"LENS_VAD_HOLD ({self.vad_hold}) must not exceed LENS_VAD_THRESHOLD "
                f"({self.vad_threshold}): speech holds at a lower probability than starts it"
            )
        if self.transcript and self.language != "en" and not self.asr_multilingual:
            raise ValueError(
                f"LENS_LANGUAGE={self.language} needs a multilingual speech model: "
                f"LENS_ASR_MODEL={self.asr_model} is English only (use base)"
            )
        if self.worker_timeout <= 2 * self.session_sync_interval:
            raise ValueError(
                "LENS_WORKER_TIMEOUT must be more than twice LENS_SESSION_SYNC_INTERVAL (the "
                "heartbeat), or a worker that is merely slow is taken for lost"
            )
        if self.turn_url_list and self.turn_secret is None:
            raise ValueError("LENS_TURN_URLS needs LENS_TURN_SECRET (coturn's static-auth-secret)")
        return self

    @property
    def recordings_dir(self) -> Path:
        return self.data_dir / "recordings"

    def model_files(self) -> tuple[Path | None, Path | None]:
        """The expression model file and the speech-recognition model directory these
        settings need (``None``: not needed), fetched into the cache when missing. Blocks
        (a fetch is a download); raises :class:`~analyzers.ModelUnavailable`."""
        expression = expression_model(self.expression_backend, self.model_dir)
        asr = asr_model(self.asr_model, self.model_dir) if self.transcript else None
        return expression, asr

    def pipeline(
        self, expression_model_path: Path | None = None, asr_model_dir: Path | None = None
    ) -> PipelineConfig:
        """The components' parameters, from what was read."""
        return PipelineConfig(
            stream=StreamParams(
                video_fps=self.video_fps,
                blink_fps=self.blink_fps,
                audio_batch_ms=self.audio_batch_ms,
                summary_interval=self.summary_interval,
                transcript=self.transcript,
                partial_every=self.partial_every,
                posture_interval=self.posture_interval,
                posture_hands=self.posture_hands,
                video=VideoAnalysisOptions(
                    tile_scan=self.tile_scan,
                    mesh_reuse_below=self.mesh_reuse_below,
                    eye_contact_tolerance=self.eye_contact_tolerance,
                    eye_contact_pitch_tolerance=self.eye_contact_pitch_tolerance,
                    summary_window=self.summary_window,
                ),
                audio=AudioAnalysisOptions(
                    window_ms=self.audio_window_ms,
                    vad_model=self.vad_model,
                    vad_threshold=self.vad_threshold,
                    vad_hold=self.vad_hold,
                    vad_aggressiveness=self.vad_aggressiveness,
                    min_pause=self.min_pause,
                    turn_gap=self.turn_gap,
                    summary_window=self.summary_window,
                    language=self.language,
                ),
            ),
            coach=replace(
                _COACH,
                interval=self.nudge_interval,
                pace_max_wpm=self.nudge_pace_max_wpm,
                fillers_max_per_min=self.nudge_fillers_per_min,
                eye_contact_min=self.nudge_eye_contact_min,
                level_min_dbfs=self.nudge_level_min_dbfs,
                pitch_min_semitones=self.nudge_pitch_min_semitones,
                answer_max=self.nudge_answer_max,
                no_pause_max=self.nudge_no_pause_max,
                face_visible_min=self.nudge_face_visible_min,
                lighting_max=self.nudge_lighting_max,
            ),
            min_video_fps=self.min_video_fps,
            latency_target=self.latency_target,
            analysis_threads=self.analysis_threads,
            max_analysis_width=self.max_analysis_width,
            expression_backend=self.expression_backend,
            expression_model_path=expression_model_path,
            audio_backlog_frames=self.audio_backlog_frames,
            audio_ptime=self.audio_ptime,
            heartbeat_interval=self.heartbeat_interval,
            heartbeat_timeout=self.heartbeat_timeout,
            connect_timeout=self.connect_timeout,
            max_message_bytes=self.max_message_bytes,
            channel_messages_per_second=self.channel_messages_per_second,
            max_session_seconds=self.max_session_seconds,
            checkpoint_interval=self.checkpoint_interval,
            max_buffered_bytes=self.max_buffered_bytes,
            asr_model_dir=asr_model_dir,
            asr_workers=self.asr_workers,
            transcript_backlog=self.transcript_backlog,
            partial_max_load=self.partial_max_load,
            transcript_deferred_max=self.transcript_deferred_max,
            transcript_finish_timeout=self.transcript_finish_timeout,
        )
