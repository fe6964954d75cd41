"""Speech recognition for every live session of the process, on its own bounded workers.

A recognition call costs ~100 face-mesh passes, so it never runs on the analysis threads: the
pool has its own thread(s) (``LENS_ASR_WORKERS``, CTranslate2 with one thread each), and live
video and audio results never wait for it. Each session's utterance clips queue here in order.

How it degrades, by the backlog (seconds of speech waiting, all sessions together):

- ``live``: a worker takes the oldest waiting utterance, recognises it alone (merging
  utterances into one call is cheaper but invents filled pauses and has lost words:
  :mod:`analyzers.words.recognition`), and
  the session gets its final ``transcript``. Two sessions' audio never share a call.
- partial transcripts (``final`` false) of an utterance still going on are taken only when the
  pool has nothing else to do (no clip waiting, no worker busy, not deferring) and the process
  has CPU to spare (``spare``). A final never waits for more than one partial call, and a busy
  server sends none.
- ``deferred``: past ``max_backlog`` seconds, new clips are set aside (16-bit, per session) and
  transcribed when their session ends, before its report; the live transcript pauses and
  resumes once the backlog halves. Up to ``max_deferred`` seconds per session are kept; beyond,
  clips are counted as dropped, and the report says how many seconds of speech have no
  transcript, counting utterances recognised as no words too. Nothing is dropped silently.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace

import numpy as np

from analyzers.session.voices import VoiceStretch, stretch_of
from analyzers.voice.speakers import VoiceEncoder
from analyzers.words.batching import Rendezvous, priority
from analyzers.words.language import Utterance, language_family
from analyzers.words.recognition import SpeechClip, SpeechRecognizer, transcribe, unheard_seconds

log = logging.getLogger(__name__)

Deliver = Callable[[list[Utterance], bool], None]
"""Utterances transcribed for a session, and whether they are final."""
Voiced = Callable[[list[VoiceStretch]], None]
"""The voices of a session's utterances, once their final transcript is delivered."""


@dataclass
class _Session:
    language: str | None
    deliver: Deliver
    urgent: Callable[[], bool]
    voiced: Voiced | None = None
    queue: deque[tuple[SpeechClip, float]] = field(default_factory=deque)
    """Clips waiting, with the monotonic time each utterance ended (for the lag)."""
    deferred: list[tuple[float, float, np.ndarray]] = field(default_factory=list)
    """(start, end, int16 samples) set aside while the pool is behind."""
    deferred_seconds: float = 0.0
    dropped_seconds: float = 0.0
    unheard_seconds: float = 0.0
    """Speech recognised as no words."""
    busy: bool = False
    idle: asyncio.Event = field(default_factory=asyncio.Event)
    partial: SpeechClip | None = None
    """The audio of the utterance going on, when a partial transcript was asked for."""


class TranscriptionPool:
    def __init__(
        self,
        recognizer: Callable[[str], SpeechRecognizer],
        *,
        workers: int = 1,
        rendezvous: Rendezvous | None = None,
        max_backlog: float = 90.0,
        max_deferred: float = 1800.0,
        spare: Callable[[], bool] = lambda: True,
        voices: Callable[[], VoiceEncoder] | None = None,
    ) -> None:
        """``recognizer`` makes the model for a language family (``en``, ``zh``: one model may
        serve both); each is made when a session first needs it, on the pool's own thread.
        ``spare`` says whether the process has CPU to spare for a partial transcript.
        ``voices`` makes the voice encoder: each final utterance's voice is then found, on the
        pool's thread after its transcript is delivered, for sessions that ask (``voiced``)."""
        self._build = recognizer
        self._build_encoder = voices
        self._encoder: VoiceEncoder | None = None
        self._spare = spare
        self.rendezvous = rendezvous
        """Batches the model calls of the utterances recognised at once (``None``: none are)."""
        self._recognizers: dict[str, SpeechRecognizer] = {}
        self._building = threading.Lock()
        self._executor = ThreadPoolExecutor(workers, thread_name_prefix="lens-asr")
        self._workers = workers
        self.max_backlog = max_backlog
        self.max_deferred = max_deferred
        self._sessions: dict[str, _Session] = {}
        self._wake = asyncio.Event()
        self._tasks: set[asyncio.Task[None]] = set()
        self.deferring = False
        self.lags: deque[float] = deque(maxlen=512)
        """Seconds from an utterance's end to its transcript, recent ones."""
        self.calls = 0
        self.partial_calls = 0
        self.partials_skipped = 0
        self.failures = 0
        self.dropped_seconds = 0.0
        self.rechecks = 0
        """Final calls whose words left a stretch of speech out, recognised again there."""
        self.recheck_seconds = 0.0

    # The loop side.

    @property
    def backlog(self) -> float:
        """Seconds of speech waiting to be transcribed live."""
        return sum(c.seconds for s in self._sessions.values() for c, _ in s.queue)

    @property
    def queued(self) -> int:
        return sum(len(s.queue) for s in self._sessions.values())

    @property
    def mode(self) -> str:
        return "deferred" if self.deferring else "live"

    def open(
        self,
        session_id: str,
        language: str | None,
        deliver: Deliver,
        urgent: Callable[[], bool] = lambda: False,
        voiced: Voiced | None = None,
    ) -> None:
        """``urgent``: whether the session waits on its transcript now (an interview's answer
        waiting for its feedback): its finals go first. ``voiced``: told each final
        utterance's voice (when the pool has a voice encoder)."""
        self._sessions[session_id] = _Session(language, deliver, urgent, voiced)
        self._sessions[session_id].idle.set()
        if not self._tasks:
            for n in range(self._workers):
                task = asyncio.get_running_loop().create_task(self._work(), name=f"lens-asr-{n}")
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)

    def add(self, session_id: str, clips: list[SpeechClip]) -> None:
        """Utterance clips of a live session, in order. Never blocks."""
        session = self._sessions.get(session_id)
        if session is None or not clips:
            return
        now = time.monotonic()
        for clip in clips:
            # Decided clip by clip: one call may bring several (the end of a stream).
            backlog = self.backlog
            if self.deferring and backlog < self.max_backlog / 2:
                self.deferring = False
            elif not self.deferring and backlog > self.max_backlog:
                self.deferring = True
                log.warning("transcription is %.0f s behind: transcripts deferred", backlog)
            if self.deferring:
                self._defer(session, clip)
            else:
                session.queue.append((clip, now))
        self._wake.set()

    def add_partial(self, session_id: str, clip: SpeechClip) -> bool:
        """The audio so far of a session's utterance still going on, for a partial transcript:
        taken only when nothing else waits and no worker is busy (spare capacity); whether it
        was. Never blocks."""
        session = self._sessions.get(session_id)
        busy = any(s.busy or s.queue or s.partial for s in self._sessions.values())
        if session is None or self.deferring or busy or not self._spare():
            self.partials_skipped += 1
            return False
        session.partial = clip
        self._wake.set()
        return True

    def _defer(self, session: _Session, clip: SpeechClip) -> None:
        if session.deferred_seconds + clip.seconds > self.max_deferred:
            session.dropped_seconds += clip.seconds
            self.dropped_seconds += clip.seconds
            return
        pcm = (np.clip(clip.samples, -1, 1) * 32767).astype(np.int16)
        session.deferred.append((clip.start, clip.end, pcm))
        session.deferred_seconds += clip.seconds

    async def finish(self, session_id: str, timeout: float) -> float:
        """Transcribe what the session still has waiting or set aside (within ``timeout``
        seconds), then forget it; the seconds of speech left without a transcript."""
        session = self._sessions.get(session_id)
        if session is None:
            return 0.0
        session.partial = None
        for start, end, pcm in session.deferred:
            # Still 16-bit: the recognition thread turns it back into float32 (_recognize).
            session.queue.append((SpeechClip(start, end, pcm), time.monotonic()))
        session.deferred.clear()
        self._wake.set()
        deadline = time.monotonic() + timeout
        while session.queue or session.busy:
            session.idle.clear()
            self._wake.set()
            try:
                await asyncio.wait_for(session.idle.wait(), max(0.0, deadline - time.monotonic()))
            except TimeoutError:
                break
        left = sum(c.end - c.start for c, _ in session.queue) + session.dropped_seconds
        del self._sessions[session_id]
        left += session.unheard_seconds
        return left

    def forget(self, session_id: str) -> None:
        """Drop a session and everything it had waiting (the session was deleted)."""
        self._sessions.pop(session_id, None)

    async def _work(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            picked = self._next()
            if picked is None:
                self._wake.clear()
                await self._wake.wait()
                continue
            session_id, session, taken, final = picked
            session.busy = True
            try:
                await self._serve(loop, session_id, session, taken, final)
            finally:
                session.busy = False
                if not session.queue:
                    session.idle.set()

    async def _serve(
        self,
        loop: asyncio.AbstractEventLoop,
        session_id: str,
        session: _Session,
        taken: list[tuple[SpeechClip, float]],
        final: bool,
    ) -> None:
        """Recognise ``taken`` and deliver its words, then (a final) its voices."""
        clips = [clip for clip, _ in taken]
        began = time.monotonic()
        urgency = 2 if not final else (0 if session.urgent() else 1)
        again: list[float] = []
        try:
            utterances = await loop.run_in_executor(
                self._executor, self._recognize, clips, session.language, urgency, again.append
            )
        except Exception:
            self.failures += 1
            log.exception("session %s: speech recognition failed", session_id)
            utterances = []
        self.rechecks += len(again)
        self.recheck_seconds += sum(again)
        self.calls += 1
        self.partial_calls += not final
        log.debug(
            "session %s: %s of %.1f s of speech recognised in %.1f s",
            session_id, "final" if final else "partial", sum(c.seconds for c in clips),
            time.monotonic() - began,
        )  # fmt: skip
        now = time.monotonic()
        if final:
            self.lags.extend(now - ended for _, ended in taken)
            session.unheard_seconds += unheard_seconds(clips, utterances)
        if self._sessions.get(session_id) is not session:
            return
        if utterances:
            session.deliver(utterances, final)
        if final and session.voiced is not None and self._build_encoder is not None:
            # After the words, so a transcript never waits for its voice; before the session
            # is idle, so its report has every voice.
            try:
                found = await loop.run_in_executor(self._executor, self._voices, clips)
            except Exception:
                log.exception("session %s: voices not found", session_id)
            else:
                if self._sessions.get(session_id) is session:
                    session.voiced(found)

    def _next(self) -> tuple[str, _Session, list[tuple[SpeechClip, float]], bool] | None:
        """The session whose oldest clip waited longest, that clip, and ``True`` (final); with
        no clip waiting, a partial asked for (``False``)."""
        # One call at a time per session: its utterances are delivered in order.
        waiting = [
            (not s.urgent(), s.queue[0][1], sid, s)
            for sid, s in self._sessions.items()
            if s.queue and not s.busy
        ]
        if not waiting:
            for sid, s in self._sessions.items():
                if s.partial is not None and not s.busy:
                    clip, s.partial = s.partial, None
                    return sid, s, [(clip, time.monotonic())], False
            return None
        *_, session_id, session = min(waiting, key=lambda w: w[:2])
        taken = [session.queue.popleft()]
        session.partial = None  # its final is coming
        return session_id, session, taken, True

    def _recognize(
        self,
        clips: list[SpeechClip],
        language: str | None,
        urgency: int = 1,
        rechecked: Callable[[float], None] | None = None,
    ) -> list[Utterance]:
        family = language_family(language or "en")
        with self._building:  # two threads asking at once must not load the model twice
            recognizer = self._recognizers.get(family)
            if recognizer is None:
                recognizer = self._recognizers[family] = self._build(family)
        audio = [_float(c) for c in clips]
        taking_part = self.rendezvous.taking_part() if self.rendezvous else contextlib.nullcontext()
        with priority(urgency), taking_part:
            # A partial's audio stops mid-word: only a final's words are checked for gaps.
            final = urgency != 2
            return transcribe(recognizer, audio, language, check=final, rechecked=rechecked)

    def _voices(self, clips: list[SpeechClip]) -> list[VoiceStretch]:
        assert self._build_encoder is not None
        with self._building:
            if self._encoder is None:
                self._encoder = self._build_encoder()
        return [stretch_of(_float(c), self._encoder) for c in clips]

    @property
    def remote_failures(self) -> int:
        """Calls to a remote recogniser the local model answered instead."""
        return sum(int(getattr(r, "failures", 0)) for r in self._recognizers.values())

    def lag_p95(self) -> float | None:
        return float(np.percentile(list(self.lags), 95)) if self.lags else None

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._executor.shutdown(wait=False, cancel_futures=True)


def _float(clip: SpeechClip) -> SpeechClip:
    """A clip set aside as 16-bit (deferred) back as float32."""
    if clip.samples.dtype == np.float32:
        return clip
    return replace(clip, samples=clip.samples / np.float32(32767))
