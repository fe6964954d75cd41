"""Every setting of the server, read once from ``LENS_*`` environment variables.

A setting that belongs to a component (the stream core, an analyzer, the coach, the live
pipeline) names the component's parameter it is, ``param("coach.interval", ge=0)``: its default
is the parameter's own (written once, in the component), and :meth:`Settings.pipeline` puts
each setting where it says, with no mapping written by hand."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, ValidationInfo, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from analyzers.interview.questions import QuestionBank
from analyzers.voice.activity import VadModel
from modelfiles.registry import default_cache_dir
from modelfiles.resolve import (
    ModelPaths,
    asr_model,
    expression_model,
    speakers_model,
    turn_model,
    voice_model,
)
from webrtc.peer.udp_ports import parse_port_range
from webrtc.runtime.config import PipelineConfig
from webrtc.runtime.scheduler import usable_cores

_PIPELINE = PipelineConfig()
INTO = "into"


def param(*paths: str, **constraints: Any) -> Any:
    """A setting that is the component parameter at each dotted path of
    :class:`PipelineConfig` (``"coach.interval"``): its default is the parameter's own default,
    :meth:`Settings.pipeline` puts the value there."""
    default = _get(_PIPELINE, paths[0].split("."))
    return Field(default, json_schema_extra={INTO: list(paths)}, **constraints)


def _get(config: Any, path: list[str]) -> Any:
    for name in path:
        config = getattr(config, name)
    return config


def _put(config: Any, path: list[str], value: object) -> Any:
    """``config`` (a frozen dataclass) with the parameter at ``path`` set to ``value``."""
    head, *rest = path
    inner = value if not rest else _put(getattr(config, head), rest, value)
    return replace(config, **{head: inner})


SESSIONS_PER_CORE = 10
"""Camera-only sessions one core holds with every analyzer on and the 95th percentile of
frame-to-result under 150 ms, by the median of runs (``docs/benchmarks.md``, "Capacity II" and
"Capacity III"): the unit of admission (:mod:`signaling.services.admission`)."""


MIN_KEY_CHARS = 16
"""The shortest API key or TURN secret accepted (openssl rand -hex 16 gives 32)."""


class Settings(BaseSettings):
    # No setting is infinite or not a number: "inf" seconds would be a limit that never holds.
    model_config = SettingsConfigDict(env_prefix="LENS_", extra="ignore", allow_inf_nan=False)

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
    max_message_bytes: int = param("max_message_bytes", ge=400)
    """Data-channel messages above this are sent in ``chunk`` messages (small-MTU paths)."""
    channel_messages_per_second: float = param("channel_messages_per_second", gt=0)
    """Client messages a session accepts per second (burst twice that); the rest are dropped."""
    max_sessions: int = Field(0, ge=0)
    """Live sessions one worker holds at once; further offers get 503 with Retry-After.
    0: :data:`SESSIONS_PER_CORE` for each core the worker may run on."""
    max_sdp_bytes: int = Field(32 * 1024, ge=512, description="Largest accepted SDP offer.")

    video_fps: float = param("stream.video_fps", gt=0, le=30)
    min_video_fps: float = param("min_video_fps", gt=0, le=30)
    """Under load, every session's full-analysis rate is lowered down to this."""
    latency_target: float = param("latency_target", gt=0, le=5)
    """Seconds (95th percentile, frame received to analysed) the rate is lowered to hold."""
    analysis_threads: int = param("analysis_threads", ge=0, le=64)
    """Threads shared by all sessions' analysis (0 = one per usable core)."""
    event_loop: Literal["auto", "uvloop", "asyncio"] = "auto"
    """``server.py``'s event loop: ``auto`` is uvloop where it is installed."""
    gil_switch_interval: float = Field(0.001, gt=0, le=0.1)
    """``sys.setswitchinterval`` for ``server.py``: how long a thread waits for the GIL."""
    max_analysis_width: int = param("max_analysis_width", ge=160)
    tile_scan: bool = param("stream.video.tile_scan")
    mesh_reuse_below: float = param("stream.video.mesh_reuse_below", ge=0)
    blink_fps: float = param("stream.blink_fps", ge=0, le=30)
    expression_backend: Literal["fer", "deepface", "none"] = param("expression_backend")
    model_dir: Path = Field(default_factory=default_cache_dir)
    eye_contact_tolerance: float = param("stream.video.eye_contact_tolerance", gt=0, le=45)
    eye_contact_pitch_tolerance: float = param(
        "stream.video.eye_contact_pitch_tolerance", gt=0, le=45
    )
    posture_interval: float = param("stream.posture_interval", ge=0)
    """Seconds between posture samples (MediaPipe Pose, on a low-priority thread); 0: off."""
    posture_hands: bool = param("stream.posture_hands")
    """Each posture sample also looks for hands (MediaPipe Hands): a hand over the face."""
    nudge_interval: float = param("coach.interval", ge=0)
    """Seconds between two live ``nudge`` messages of a session, at least; 0: no nudges."""
    nudge_pace_max_wpm: float = param("coach.pace_max_wpm", gt=0)
    nudge_fillers_per_min: float = param("coach.fillers_max_per_min", gt=0)
    nudge_eye_contact_min: float = param("coach.eye_contact_min", ge=0, le=1)
    nudge_level_min_dbfs: float = param("coach.level_min_dbfs", le=0)
    nudge_pitch_min_semitones: float = param("coach.pitch_min_semitones", ge=0)
    nudge_answer_max: float = param("coach.answer_max", gt=0)
    nudge_no_pause_max: float = param("coach.no_pause_max", gt=0)
    nudge_face_visible_min: float = param("coach.face_visible_min", ge=0, le=1)
    nudge_lighting_max: float = param("coach.lighting_max", ge=0, le=1)
    summary_interval: float = param("stream.summary_interval", gt=0)
    summary_window: float = param(
        "stream.video.summary_window", "stream.audio.summary_window", gt=0
    )
    audio_window_ms: int = param("stream.audio.window_ms", ge=20, le=2000, multiple_of=20)
    audio_batch_ms: int = param("stream.audio_batch_ms", ge=20, le=1000, multiple_of=20)
    """Audio is handed to the analysis threads in batches this long."""
    vad_model: VadModel = param("stream.audio.vad_model")
    vad_threshold: float = param("stream.audio.vad_threshold", gt=0, lt=1)
    vad_hold: float = param("stream.audio.vad_hold", gt=0, lt=1)
    vad_aggressiveness: int = param("stream.audio.vad_aggressiveness", ge=0, le=3)
    min_pause: float = param("stream.audio.min_pause", gt=0)
    turn_gap: float = param("stream.audio.turn_gap", gt=0)
    """Seconds of silence that end a speaking turn: pace (``speaking_rate.wpm``) is words
    per minute of turn time, pauses shorter than this included."""
    language: Literal["en", "cmn", "zh"] = param("stream.audio.language")
    """The language spoken unless a session says otherwise (sessions may also ask ``auto``)."""
    audio_backlog_frames: int = param("audio_backlog_frames", ge=10)
    audio_ptime: int = param("audio_ptime", ge=0, le=60, multiple_of=20)
    heartbeat_interval: float = param("heartbeat_interval", gt=0)
    heartbeat_timeout: float = param("heartbeat_timeout", gt=0)
    connect_timeout: float = param("connect_timeout", gt=0)
    reconnect_grace: float = param("reconnect_grace", ge=0, le=600)
    """Seconds an interview whose page went away waits for it to come back (a reload: the page
    offers to continue) before it ends with its report; 0: it ends at once."""
    max_buffered_bytes: int = param("max_buffered_bytes", ge=1024)

    transcript: bool = param("stream.transcript")
    partial_every: float = param("stream.partial_every", ge=0)
    """Seconds between partial transcripts of an utterance going on (0: none); sent only when
    recognition is idle."""
    """Transcribe what the person says (per session, ``transcript`` in ``POST /api/sessions``)."""
    asr_model: str = "tiny.en"
    """``tiny.en`` (English only; the cheapest, see ``docs/benchmarks.md``), ``base``
    (multilingual: English, Mandarin, detection), or a directory holding any CTranslate2 Whisper
    model."""
    asr_model_zh: str = "base"
    """The model for Mandarin sessions when ``LENS_ASR_MODEL`` is English only (loaded when a
    Mandarin session first speaks; English sessions keep theirs); empty: no Mandarin."""
    asr_workers: int = param("asr_workers", ge=1, le=16)
    asr_batch: int = param("asr_batch", ge=1, le=32)
    asr_window: float | None = param("asr_window", ge=5, le=30)
    asr_url: str | None = param("asr_url")
    """An OpenAI-compatible transcription server's base URL (``http://10.0.0.5:8000/v1``: vLLM,
    speaches, or another machine's ``python server.py recognizer``) that recognises every
    utterance, the local model answering when it fails or is slow; unset: the local model
    (with ``--workers N``, the machine's shared recogniser)."""
    asr_remote_model: str = param("asr_remote_model")
    asr_timeout: float = param("asr_timeout", gt=0, le=120)
    asr_shared: bool = True
    """With ``--workers N`` and no ``LENS_ASR_URL``: one recogniser process for the machine
    (one copy of each model, one queue), started and supervised with the workers."""
    partial_max_load: float = param("partial_max_load", ge=0, le=1)
    """Partial transcripts only while the worker uses less than this share of its cores."""
    transcript_backlog: float = param("transcript_backlog", gt=0)
    transcript_deferred_max: float = param("transcript_deferred_max", ge=0)
    transcript_finish_timeout: float = param("transcript_finish_timeout", ge=0)

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
    checkpoint_interval: float = param("checkpoint_interval", ge=0)
    """Seconds between a live session's checkpoints (its report so far, kept in the store for
    the case its worker dies); 0: none."""
    max_session_seconds: float = param("max_session_seconds", ge=0)
    """Sessions are ended after this long (0 = no limit)."""
    interview_think_seconds: float = param("interview.think", ge=0, le=300)
    """Seconds to think after a question before the answer clock starts (speaking starts it
    sooner)."""
    interview_answer_seconds: float = param("interview.answer", ge=0, le=900)
    """Seconds an answer may last; 0: one and a half times the question's recommended length."""
    interview_end_silence: float = param("interview.end_silence", gt=0, le=60)
    """Seconds of silence that end an answer (after ``interview.min_speech`` of speech)."""
    interview_turn_model: bool = True
    """Judge the end of each answer with the end-of-turn model (Smart Turn v3.2, fetched out
    of its wheel); off: answers end on ``LENS_INTERVIEW_END_SILENCE`` alone."""
    interview_voice: Literal["espeak", "piper", "off"] = "espeak"
    """The interviewer's voice on the outgoing audio track: espeak-ng, Piper's neural
    ``en_US-joe-medium`` for English (fetched out of its wheel; other languages stay with
    espeak-ng), or text only."""
    llm_url: str | None = None
    """An OpenAI-compatible chat endpoint's base URL (``http://127.0.0.1:8081/v1``) that
    reviews each answer of interviews created with ``interview.llm: true``; unset or empty:
    none. Anything but an ``http(s)://`` URL with a host stops the server at start."""

    @field_validator("llm_url", "asr_url")
    @classmethod
    def _an_http_url(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None or not value.strip():
            return None
        parsed = urlsplit(value.strip())
        if parsed.scheme not in ("http", "https") or not parsed.hostname:
            name = f"LENS_{str(info.field_name).upper()}"
            raise ValueError(f"{name} must be an http:// or https:// URL, not {value!r}")
        return value.strip()

    llm_model: str = "default"
    """The model name sent to it."""
    llm_api_key: SecretStr | None = None
    """Its key, sent as a bearer token (a hosted endpoint's)."""
    llm_timeout: float = Field(30.0, gt=0, le=300)
    """Seconds a review may take before it is given up."""
    llm_workers: int = Field(1, ge=1, le=16)
    """Reviews asked at once; ``LENS_LLM_QUEUE`` more wait, the rest are dropped."""
    llm_queue: int = Field(8, ge=0, le=1000)
    questions_dir: Path | None = None
    """A folder of the operator's question files (``*.json``, ``docs/interview.md``), read and
    checked at start; a set with a shipped set's language and role replaces it."""
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
    def asr_mandarin(self) -> bool:
        """Whether Mandarin sessions can be transcribed: by the main model, or by
        ``LENS_ASR_MODEL_ZH`` beside an English-only one."""
        return self.asr_multilingual or bool(self.asr_model_zh)

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
        if self.transcript and self.language != "en" and not self.asr_mandarin:
            raise ValueError(
                f"LENS_LANGUAGE={self.language} needs a Mandarin speech model: LENS_ASR_MODEL="
                f"{self.asr_model} is English only and LENS_ASR_MODEL_ZH is empty"
            )
        if self.worker_timeout <= 2 * self.session_sync_interval:
            raise ValueError(
                "LENS_WORKER_TIMEOUT must be more than twice LENS_SESSION_SYNC_INTERVAL (the "
                "heartbeat), or a worker that is merely slow is taken for lost"
            )
        if self.questions_dir is not None:
            QuestionBank.load(self.questions_dir)  # a bad file stops the start, saying where
        if self.turn_url_list and self.turn_secret is None:
            raise ValueError("LENS_TURN_URLS needs LENS_TURN_SECRET (coturn's static-auth-secret)")
        return self

    def question_bank(self) -> QuestionBank:
        """The shipped question sets, with the operator's over them."""
        return QuestionBank.load(self.questions_dir)

    @property
    def recordings_dir(self) -> Path:
        return self.data_dir / "recordings"

    def model_files(self) -> ModelPaths:
        """The model files these settings need, fetched into the cache when missing. Blocks
        (a fetch is a download); raises :class:`~analyzers.ModelUnavailable`."""
        return ModelPaths(
            expression=expression_model(self.expression_backend, self.model_dir),
            asr=asr_model(self.asr_model, self.model_dir) if self.transcript else None,
            asr_zh=asr_model(self.asr_model_zh, self.model_dir)
            if self.transcript and self.asr_model_zh and not self.asr_multilingual
            else None,
            voice=voice_model(self.interview_voice, self.model_dir),
            turn=turn_model(self.model_dir) if self.interview_turn_model else None,
            speakers=speakers_model(self.model_dir) if self.transcript else None,
        )

    def pipeline(self, models: ModelPaths | None = None) -> PipelineConfig:
        """The components' parameters: their defaults, with each :func:`param` setting put
        where it says."""
        models = models or ModelPaths()
        config = PipelineConfig(
            expression_model_path=models.expression,
            asr_model_dir=models.asr,
            asr_model_dir_zh=models.asr_zh,
            voice_model=models.voice,
            turn_model_path=models.turn,
            speakers_model_path=models.speakers,
        )
        for name, info in type(self).model_fields.items():
            extra = info.json_schema_extra
            paths = extra.get(INTO) if isinstance(extra, dict) else None
            for path in paths if isinstance(paths, list) else ():
                config = _put(config, str(path).split("."), getattr(self, name))
        return config
