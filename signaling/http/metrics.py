"""``GET /metrics`` in Prometheus' text format: sessions, peers by state, frames received,
analysed and skipped, analysis latency, event-loop lag, data-channel backlog, errors by kind.

Counters of live sessions are read from them at scrape time and added to the totals of the
sessions this worker has closed, so nothing is counted on the hot path but the analysis timings.
Each app has its own registry (no process globals), so several apps can live in one process.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Iterator

from prometheus_client import CollectorRegistry, Histogram, ProcessCollector, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from signaling.http.connections import ConnectionGuard
from signaling.services.sessions import SessionService
from signaling.storage import Store
from webrtc.lifecycle import SessionState
from webrtc.peer.registry import SessionRegistry

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
FRAME_COUNTERS = ("frames_received", "frames_analysed", "frames_skipped", "eye_passes")
ERROR_COUNTERS = {
    "analysis_errors": "analysis",
    "protocol_errors": "protocol",
    "messages_dropped": "message_dropped",
    "audio_frames_dropped": "audio_frame_dropped",
}


class _SessionCollector(Collector):
    def __init__(self, sessions: SessionRegistry, store: Store) -> None:
        self._sessions = sessions
        self._store = store

    def collect(self) -> Iterator[GaugeMetricFamily | CounterMetricFamily]:
        live = list(self._sessions)
        by_state: dict[SessionState, int] = {}
        totals = dict(self._sessions.closed_totals)
        backlog = 0
        for session in live:
            by_state[session.state] = by_state.get(session.state, 0) + 1
            for name, value in session.counters().to_dict().items():
                totals[name] = totals.get(name, 0) + value
            if session.channel is not None:
                backlog += session.channel.buffered_amount
        sessions = GaugeMetricFamily("lens_sessions", "Live sessions on this worker")
        sessions.add_metric([], len(live))
        yield sessions
        peers = GaugeMetricFamily("lens_peers", "Peer connections by state", labels=["state"])
        for state in SessionState:
            if state.live:
                peers.add_metric([state.value], by_state.get(state, 0))
        yield peers
        opened = CounterMetricFamily("lens_sessions_opened", "Sessions opened by this worker")
        opened.add_metric([], self._sessions.opened)
        yield opened
        memory = self._sessions.memory
        yield CounterMetricFamily(
            "lens_memory_trims", "malloc_trim runs after sessions ended", value=memory.trims
        )
        yield CounterMetricFamily(
            "lens_memory_released_bytes",
            "Resident bytes those trims gave back to the system",
            value=memory.released_bytes,
        )
        closed = CounterMetricFamily(
            "lens_sessions_closed", "Sessions closed, by reason", labels=["reason"]
        )
        for reason, count in sorted(self._sessions.closed_by_reason.items()):
            closed.add_metric([reason], count)
        yield closed
        for name in FRAME_COUNTERS:
            family = CounterMetricFamily(f"lens_{name}", f"Video {name.replace('_', ' ')}")
            family.add_metric([], totals.get(name, 0))
            yield family
        packets = CounterMetricFamily(
            "lens_rtp_packets_received", "RTP packets received, by kind", labels=["kind"]
        )
        for kind in ("audio", "video"):
            packets.add_metric([kind], totals.get(f"{kind}_packets", 0))
        yield packets
        audio = CounterMetricFamily("lens_audio_seconds", "Seconds of audio analysed")
        audio.add_metric([], totals.get("audio_seconds", 0.0))
        yield audio
        errors = CounterMetricFamily("lens_errors", "Errors and drops, by kind", labels=["kind"])
        for name, kind in ERROR_COUNTERS.items():
            errors.add_metric([kind], totals.get(name, 0))
        store = self._store.health()
        errors.add_metric(["store_write_dropped"], store.get("dropped", 0))
        errors.add_metric(["store_failure"], store.get("failures", 0))
        errors.add_metric(["store_write_discarded"], store.get("discarded", 0))
        yield errors
        pending = GaugeMetricFamily(
            "lens_channel_backlog_bytes", "Bytes queued on data channels, all sessions"
        )
        pending.add_metric([], backlog)
        yield pending
        writes = GaugeMetricFamily("lens_store_pending_writes", "Writes waiting for the store")
        writes.add_metric([], store.get("pending", 0))
        yield writes
        failing = GaugeMetricFamily(
            "lens_store_failing", "1 while the store refuses writes (they are kept and retried)"
        )
        failing.add_metric([], float(not store.get("healthy", True)))
        yield failing
        rate = self._sessions.scheduler.rate
        fps = GaugeMetricFamily(
            "lens_video_fps", "Full-analysis rate of every session, lowered under load"
        )
        fps.add_metric([], rate.fps)
        yield fps
        lowered = CounterMetricFamily(
            "lens_video_fps_decreases", "Times load lowered the full-analysis rate"
        )
        lowered.add_metric([], rate.decreases)
        yield lowered
        posture = self._sessions.scheduler.posture
        if posture is not None:
            samples = CounterMetricFamily(
                "lens_posture_samples", "Posture samples measured, by outcome", labels=["outcome"]
            )
            samples.add_metric(["measured"], posture.measured)
            samples.add_metric(["dropped"], posture.dropped)
            yield samples
        turns = self._sessions.scheduler.turns
        if turns is not None:
            judged = CounterMetricFamily(
                "lens_turn_judgements",
                "End-of-turn judgements of interview answers, by outcome",
                labels=["outcome"],
            )
            judged.add_metric(["judged"], turns.judged)
            judged.add_metric(["dropped"], turns.dropped)
            yield judged
            cost = CounterMetricFamily(
                "lens_turn_cpu_seconds", "CPU seconds the end-of-turn model has taken"
            )
            cost.add_metric([], turns.cpu_seconds)
            yield cost
        yield from self._transcription()

    def _transcription(self) -> Iterator[GaugeMetricFamily | CounterMetricFamily]:
        pool = self._sessions.transcription
        if pool is None:
            return
        G, C = GaugeMetricFamily, CounterMetricFamily
        yield G("lens_transcript_queue", "Utterances waiting for recognition", value=pool.queued)
        yield G(
            "lens_transcript_backlog_seconds",
            "Seconds of speech waiting for recognition",
            value=pool.backlog,
        )
        mode = G("lens_transcript_mode", "1 for the mode transcription is in", labels=["mode"])
        for name in ("live", "deferred"):
            mode.add_metric([name], float(pool.mode == name))
        yield mode
        yield G(
            "lens_transcript_lag_seconds",
            "95th percentile, over recent utterances, of speech stopped to transcript",
            value=pool.lag_p95() or 0.0,
        )
        yield C("lens_transcript_calls", "Speech-recognition calls", value=pool.calls)
        yield C(
            "lens_transcript_partial_calls",
            "Recognition calls for partial transcripts",
            value=pool.partial_calls,
        )
        yield C(
            "lens_transcript_partials_skipped",
            "Partial transcripts not made: no spare capacity",
            value=pool.partials_skipped,
        )
        yield C(
            "lens_transcript_dropped_seconds",
            "Seconds of speech left without a transcript (set aside past the per-session cap)",
            value=pool.dropped_seconds,
        )
        yield C(
            "lens_transcript_rechecks",
            "Final calls whose words left a stretch of speech out, that stretch recognised again",
            value=pool.rechecks,
        )
        yield C(
            "lens_transcript_recheck_seconds",
            "Seconds of audio recognised again where a call's words had left speech out",
            value=pool.recheck_seconds,
        )
        yield C(
            "lens_transcript_remote_failures",
            "Calls to LENS_ASR_URL the local model answered instead",
            value=pool.remote_failures,
        )
        if pool.rendezvous is not None:
            stats = pool.rendezvous.stats
            yield C("lens_transcript_batches", "Batched model calls run", value=stats.batches)
            yield C(
                "lens_transcript_batched_calls",
                "Model calls run in those batches (divided by batches: the mean batch size)",
                value=stats.calls,
            )


def _threads() -> int | None:
    """Every thread of the process (MediaPipe's, ONNX Runtime's…), from ``/proc`` (Linux)."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("Threads:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def _children() -> int | None:
    """Live child processes of this worker (espeak-ng, the upload decoder, recognisers…), from
    ``/proc`` (Linux)."""
    if not os.path.isdir("/proc/self/task"):
        return None
    children: set[str] = set()
    for task in os.listdir("/proc/self/task"):  # a child belongs to the thread that started it
        try:
            with open(f"/proc/self/task/{task}/children") as listed:
                children.update(listed.read().split())
        except OSError:
            continue  # a thread that ended while it was read
    return len(children)


class _WorkerCollector(Collector):
    """The worker's own state: draining, sessions of lost workers it ended, HTTP connections."""

    def __init__(
        self,
        service: SessionService,
        guard: ConnectionGuard | None,
        restarts: Callable[[], int] | None = None,
    ) -> None:
        self._service = service
        self._guard = guard
        self._restarts = restarts

    def collect(self) -> Iterator[GaugeMetricFamily | CounterMetricFamily]:
        for name, words, value in (
            ("lens_process_threads", "Threads of this worker, native ones included", _threads()),
            (
                "lens_child_processes",
                "Live child processes of this worker (espeak-ng, decoders)",
                _children(),
            ),
        ):
            if value is not None:
                gauge = GaugeMetricFamily(name, words)
                gauge.add_metric([], value)
                yield gauge
        held = GaugeMetricFamily(
            "lens_admission_cost",
            "What the live sessions cost, in camera-only sessions (admission.py)",
        )
        held.add_metric([], self._service.admission.held)
        yield held
        draining = GaugeMetricFamily("lens_draining", "1 while this worker is draining")
        draining.add_metric([], float(self._service.draining_until is not None))
        yield draining
        lost = CounterMetricFamily(
            "lens_lost_sessions_ended", "Sessions of lost workers this worker ended"
        )
        lost.add_metric([], self._service.watch.sessions_ended)
        yield lost
        erasing = GaugeMetricFamily(
            "lens_erasures_pending", "Deleted sessions whose data waits for the store to go"
        )
        erasing.add_metric([], self._service.erasures_pending)
        yield erasing
        if self._restarts is not None:
            restarted = CounterMetricFamily(
                "lens_worker_restarts", "Dead workers the supervisor replaced (--workers N)"
            )
            restarted.add_metric([], self._restarts())
            yield restarted
        if self._guard is None:
            return
        open_ = GaugeMetricFamily("lens_http_connections", "Open HTTP connections")
        open_.add_metric([], self._guard.open_total)
        yield open_
        refused = CounterMetricFamily(
            "lens_http_connections_refused", "HTTP connections refused over the caps"
        )
        refused.add_metric([], self._guard.refused)
        yield refused
        evicted = CounterMetricFamily(
            "lens_http_connections_evicted",
            "Idle connections closed to let a newcomer in when every connection was taken",
        )
        evicted.add_metric([], self._guard.evicted)
        yield evicted


class Metrics:
    def __init__(
        self,
        service: SessionService,
        store: Store,
        guard: ConnectionGuard | None = None,
        restarts: Callable[[], int] | None = None,
    ) -> None:
        sessions = service.registry
        self.registry = CollectorRegistry()
        self.analysis = Histogram(
            "lens_analysis_seconds",
            "Time to analyse one video frame or one batch of audio",
            ["kind"],
            registry=self.registry,
            buckets=(0.005, 0.01, 0.02, 0.03, 0.05, 0.075, 0.1, 0.15, 0.25, 0.5, 1.0),
        )
        self.loop_lag = Histogram(
            "lens_event_loop_lag_seconds",
            "How late the event loop wakes a 250 ms timer",
            registry=self.registry,
            buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0),
        )
        self.registry.register(_SessionCollector(sessions, store))
        self.registry.register(_WorkerCollector(service, guard, restarts))
        # process_cpu_seconds_total, process_resident_memory_bytes, open fds (Linux only).
        ProcessCollector(registry=self.registry)

    def observe_analysis(self, kind: str, seconds: float) -> None:
        self.analysis.labels(kind).observe(seconds)

    async def watch_loop(self, period: float = 0.25) -> None:
        loop = asyncio.get_running_loop()
        while True:
            started = loop.time()
            await asyncio.sleep(period)
            self.loop_lag.observe(max(0.0, loop.time() - started - period))

    def render(self) -> bytes:
        return generate_latest(self.registry)
