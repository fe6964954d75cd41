"""Interview Lens server.

    python server.py [--host H] [--port P] [--workers N]
                                               serve the API and the demo page
    python server.py fetch-models              download and verify model files into the cache
    python server.py analyze FILE [--out report.html|report.json]
                                               analyse a recorded file, write its report
    python server.py recognizer [--host H] [--port P]
                                               serve speech recognition (OpenAI's API)

Settings come from ``LENS_*`` environment variables (see ``signaling/settings.py``); the
command-line flags override them.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import multiprocessing
import os
import signal
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from pydantic import ValidationError

from modelfiles.registry import ASR_MODELS, MODELS, ModelRegistry, ModelUnavailable
from modelfiles.resolve import turn_model, voice_model
from signaling.http.app import create_app
from signaling.http.app_keys import SERVICE
from signaling.http.connections import (
    ConnectionGuard,
    GuardedSite,
    connection_cap,
    free_loopback_port,
    raise_open_file_limit,
)
from signaling.http.malformed import LensRunner
from signaling.recognizer import serve_recognizer
from signaling.settings import Settings
from signaling.storage import ReadOnlyDataDir
from webrtc.peer.loops import loop_name, new_event_loop
from webrtc.peer.udp_ports import parse_port_range

if TYPE_CHECKING:
    from webrtc.runtime.file_analysis import AnalysisProgress

log = logging.getLogger("lens")


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="server.py",
        description="Interview Lens media server",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__,
    )
    parser.add_argument(
        "command",
        nargs="?",
        default="serve",
        choices=["serve", "fetch-models", "analyze", "recognizer"],
    )
    parser.add_argument("file", nargs="?", type=Path, help="the recording to analyse")
    parser.add_argument("--host", help="address to listen on (LENS_HOST)")
    parser.add_argument("--port", type=int, help="port to listen on (LENS_PORT)")
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        help="server processes sharing the port (SO_REUSEPORT); each owns the peers it answered",
    )
    parser.add_argument(
        "--out", type=Path, help="report file, .json or .html (default: FILE.report.html)"
    )
    args = parser.parse_args(argv)
    if args.command == "analyze" and args.file is None:
        parser.error("analyze needs a FILE")
    if args.out is not None and args.out.suffix not in (".json", ".html"):
        parser.error("--out must end in .json or .html")
    return args


class ProgressBar:
    """``analysing    [#####-----]  45 %  12.3 / 27.0 s`` on stderr, redrawn at most 10 times a
    second; then ``transcribing`` over the seconds of speech, on a line of its own."""

    def __init__(self, stream: TextIO = sys.stderr) -> None:
        self._stream = stream
        self._last = 0.0
        self._shown: AnalysisProgress | None = None

    def __call__(self, progress: AnalysisProgress, *, force: bool = False) -> None:
        new_stage = self._shown is not None and self._shown.stage != progress.stage
        if new_stage:
            self._draw(self._shown, final=True)  # the last stage, complete, stays on screen
        self._shown = progress
        now = time.monotonic()
        if now - self._last < 0.1 and not (force or new_stage):
            return
        self._last = now
        self._draw(progress)

    def _draw(self, progress: AnalysisProgress | None, final: bool = False) -> None:
        if progress is None:
            return
        done, total = progress.done, progress.total
        if final and total:
            done = total
        label = f"{progress.stage:<13}"
        unit = "s of speech" if progress.stage == "transcribing" else "s"
        if total:
            share = min(1.0, done / total)
            bar = "#" * round(share * 30)
            line = f"{label}[{bar:-<30}] {share:4.0%}  {done:6.1f} / {total:.1f} {unit}"
        else:
            line = f"{label}{done:6.1f} {unit} done"
        self._stream.write("\r" + line + ("\n" if final else ""))
        self._stream.flush()

    def finish(self, complete: bool = True) -> None:
        """Draw the last state (complete, when the file was read to the end) and end the
        line."""
        if self._shown is None:
            return
        self._draw(self._shown, final=complete)
        if not complete:
            self._stream.write("\n")


def analyze(settings: Settings, source: Path, out: Path | None) -> int:
    from signaling.pages.report import report_file
    from webrtc.runtime.file_analysis import MediaError, analyze_file

    out = out or source.with_suffix(".report.html")
    try:
        config = settings.pipeline(settings.model_files())
    except ModelUnavailable as exc:
        log.error("%s", exc)
        return 1
    bar = ProgressBar()
    try:
        report, _ = analyze_file(source, config, progress=bar)
    except MediaError as exc:
        bar.finish(complete=False)
        log.error("%s", exc)
        return 1
    bar.finish()
    if out.suffix == ".json":
        out.write_text(json.dumps(report.to_dict(), indent=1))
    else:
        out.write_text(report_file(report))
    log.info("report written to %s", out)
    return 0


def fetch_models(settings: Settings) -> int:
    """Every model file the settings need, into the cache: the expression model, and the
    speech-recognition model when transcripts are on, the Piper voice when it is chosen."""
    registry = ModelRegistry(settings.model_dir)
    try:
        for model in MODELS.values():
            path = registry.path(model)
            log.info(
                "model %s (%s, %s) ready: %s", model.name, model.license, model.sha256[:12], path
            )
        bundle = ASR_MODELS.get(settings.asr_model) if settings.transcript else None
        if bundle is not None:
            folder = registry.bundle(bundle)
            log.info("model %s (%s) ready: %s", bundle.name, bundle.license, folder)
        voice = voice_model(settings.interview_voice, settings.model_dir)
        if voice is not None:
            log.info("the interviewer's voice ready: %s", voice[0])
        if settings.interview_turn_model:
            log.info("the end-of-turn model ready: %s", turn_model(settings.model_dir))
    except ModelUnavailable as exc:
        log.error("%s", exc)
        return 1
    return 0


def setup_logging(settings: Settings) -> None:
    logging.basicConfig(
        level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    # aiortc and aioice log every packet-level detail at INFO.
    for noisy in ("aioice", "aiortc", "faster_whisper"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def serve(
    settings: Settings, *, reuse_port: bool = False, restarts: Callable[[], int] | None = None
) -> int:
    """Serve until told to stop: SIGTERM drains (:func:`run`), SIGINT or a second SIGTERM
    stops at once; every session ends with its report either way."""
    ports = parse_port_range(settings.udp_ports) if settings.udp_ports else None
    loop = new_event_loop(settings.event_loop, ports)
    # The event loop and the analysis threads pass the GIL back and forth thousands of times a
    # second; at Python's default 5 ms interval each return from native code can wait that long
    # for it (docs/benchmarks.md measures both).
    sys.setswitchinterval(settings.gil_switch_interval)
    asyncio.set_event_loop(loop)
    try:
        return loop.run_until_complete(run(settings, reuse_port=reuse_port, restarts=restarts))
    finally:
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()


async def run(
    settings: Settings, *, reuse_port: bool = False, restarts: Callable[[], int] | None = None
) -> int:
    """The server on the running loop. The first SIGTERM drains: ``/health`` and new offers
    answer ``503 draining``, live sessions get ``session.draining`` and up to
    ``LENS_DRAIN_TIMEOUT`` seconds to finish; then the rest are ended with their reports."""
    open_files = raise_open_file_limit()
    guard = ConnectionGuard(
        connection_cap(settings.max_connections, open_files),
        None if settings.trust_forwarded else settings.max_connections_per_address,
        settings.cors_origin_list,
    )
    app = create_app(settings, guard, restarts)
    runner = LensRunner(
        app,
        handle_signals=False,
        access_log=None,
        keepalive_timeout=settings.http_idle_timeout,
        # After an early answer (408, 413) the rest of a body is read and thrown away for at
        # most this long, so the client can read the answer; then the connection is closed.
        lingering_time=2.0,
        shutdown_timeout=5.0,
    )
    try:
        await runner.setup()  # models resolved, store opened, lost sessions ended
    except (ModelUnavailable, ReadOnlyDataDir) as exc:
        log.error("cannot start: %s", exc)
        await runner.cleanup()
        return 1
    site = GuardedSite(
        runner, guard, host=settings.host, port=settings.port, reuse_port=reuse_port or None
    )
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    drain: asyncio.Task[None] | None = None

    def drain_then_stop() -> None:
        nonlocal drain
        if drain is not None:  # a second SIGTERM: at once
            log.info("second SIGTERM: ending every session now")
            stop.set()
            return
        log.info("SIGTERM: draining (at most %.0f s)", settings.drain_timeout)
        drain = loop.create_task(app[SERVICE].drain(settings.drain_timeout))
        drain.add_done_callback(lambda _: stop.set())

    loop.add_signal_handler(signal.SIGTERM, drain_then_stop)
    loop.add_signal_handler(signal.SIGINT, stop.set)
    try:
        await site.start()
        # Once the port is bound: a server that fails to start never says it is serving.
        log.info(
            "Interview Lens serving on http://%s:%d (pid %d, %s%s, %d connections at most)",
            settings.host,
            site.port,
            os.getpid(),
            loop_name(loop),
            f", media on UDP {settings.udp_ports}" if settings.udp_ports else "",
            guard.total,
        )
        await stop.wait()
    finally:
        loop.remove_signal_handler(signal.SIGTERM)
        loop.remove_signal_handler(signal.SIGINT)
        if drain is not None and not drain.done():
            drain.cancel()
        await runner.cleanup()  # every session still live ends with its report
    return 0


def load_settings(overrides: dict[str, object]) -> Settings:
    """The settings, or an exit that says what is wrong with them and never what a secret is
    (pydantic's own message quotes the values it was given)."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        lines = [
            f"{'.'.join(str(part) for part in error['loc']) or 'settings'}: {error['msg']}"
            for error in exc.errors(include_input=False, include_url=False)
        ]
        raise SystemExit("error: invalid settings:\n  " + "\n  ".join(lines)) from None


RECOGNIZER_PORT = 8181


def _recognizer(overrides: dict[str, object], port: int) -> None:
    """The machine's shared recogniser, on loopback (``run_workers``)."""
    settings = load_settings(overrides)
    setup_logging(settings)
    sys.exit(serve_recognizer(settings.pipeline(settings.model_files()), "127.0.0.1", port))


def _worker(overrides: dict[str, object], restarts: Any) -> None:
    """One worker; ``restarts`` is the supervisor's shared count of workers it replaced."""
    # The environment (every LENS_* setting) is inherited; only the flags travel as arguments.
    settings = load_settings(overrides)
    setup_logging(settings)
    sys.exit(serve(settings, reuse_port=True, restarts=lambda: int(restarts.value)))


RESTARTS_ALLOWED = 5
"""Worker deaths tolerated within :data:`RESTART_WINDOW`; one more and the supervisor gives up
(stops the rest and exits 1), since a worker that dies at once is not helped by restarting."""
RESTART_WINDOW = 60.0


def run_workers(overrides: dict[str, object], workers: int) -> int:
    """``workers`` processes on one port (SO_REUSEPORT): the kernel spreads connections between
    them; each owns the peers it answered; the store shares sessions and reports.

    A worker that dies (killed, crashed, out of memory) is replaced, after 1, 2, 4... s (at most
    30) while deaths keep coming, and logged; past :data:`RESTARTS_ALLOWED` deaths in
    :data:`RESTART_WINDOW` seconds the supervisor stops the others and exits 1. On SIGTERM or
    SIGINT it passes the signal on, waits for every worker to drain, and exits with the worst
    exit code."""
    context = multiprocessing.get_context("spawn")
    restarts = context.Value("i", 0, lock=False)  # every worker's /metrics shows it
    settings = load_settings(overrides)
    shared = settings.transcript and settings.asr_url is None and settings.asr_shared
    port = free_loopback_port() if shared else 0
    to_workers = {**overrides, "asr_url": f"http://127.0.0.1:{port}/v1"} if shared else overrides

    def start(slot: int) -> multiprocessing.process.BaseProcess:
        if slot == workers:  # the recogniser's slot
            process = context.Process(
                target=_recognizer, args=(overrides, port), name="lens-recognizer"
            )
        else:
            process = context.Process(
                target=_worker, args=(to_workers, restarts), name=f"lens-worker-{slot}"
            )
        process.start()
        return process

    processes = [start(i) for i in range(workers + shared)]
    if shared:
        log.info("the machine's recogniser: pid %s on 127.0.0.1:%d", processes[-1].pid, port)
    log.info("started %d workers: %s", workers, ", ".join(str(p.pid) for p in processes))
    stopping: list[int] = []

    def stop(signum: int, _frame: object) -> None:
        stopping.append(signum)
        for process in processes:
            if process.pid is not None and process.is_alive():
                os.kill(process.pid, signum)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    deaths: list[float] = []
    while not stopping:
        for slot, process in enumerate(processes):
            if stopping or process.is_alive():
                continue
            process.join()  # reaped: no zombie
            now = time.monotonic()
            deaths[:] = [d for d in deaths if now - d < RESTART_WINDOW] + [now]
            if len(deaths) > RESTARTS_ALLOWED:
                log.error(
                    "%s died (exit code %s); %d deaths in %.0f s: giving up",
                    process.name,
                    process.exitcode,
                    len(deaths),
                    RESTART_WINDOW,
                )
                stop(signal.SIGTERM, None)
                for other in processes:
                    other.join()
                return 1
            delay = min(30.0, 2.0 ** (len(deaths) - 1))
            log.error(
                "%s (pid %s) died with exit code %s; restarting it in %.0f s",
                process.name,
                process.pid,
                process.exitcode,
                delay,
            )
            deadline = time.monotonic() + delay
            while not stopping and time.monotonic() < deadline:
                time.sleep(0.1)
            if not stopping:
                restarts.value += 1
                processes[slot] = start(slot)
                log.info("%s restarted as pid %s", process.name, processes[slot].pid)
        time.sleep(0.2)
    for process in processes:
        process.join()
    return max((p.exitcode or 0) for p in processes)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    overrides = {k: v for k, v in (("host", args.host), ("port", args.port)) if v is not None}
    settings = load_settings(overrides)
    setup_logging(settings)
    if args.command == "fetch-models":
        return fetch_models(settings)
    if args.command == "analyze":
        return analyze(settings, args.file, args.out)
    if args.command == "recognizer":
        return serve_recognizer(
            settings.pipeline(settings.model_files()),
            args.host or "127.0.0.1",
            args.port or RECOGNIZER_PORT,
        )
    if args.workers > 1:
        return run_workers(overrides, args.workers)
    return serve(settings)


if __name__ == "__main__":
    sys.exit(main())
