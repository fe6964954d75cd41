"""The server process dies under a live session in real headless Chromium. Pins what a person
saw: 12 s frozen on "All good", then "the server stopped answering" and no way to the report,
though the next server had it. Now the page says within seconds that the server is quiet,
keeps the session, and shows its report in place once the server that takes over has ended it
(``worker_lost``, from its last checkpoint)."""

from __future__ import annotations

import signal
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.pages.conftest import Launch, capture
from tests.pages.test_browser import frame_shows_report, open_page, shows, talk_freely
from tests.processes import ServerProcess
from tests.server.test_worker_lost import FAST


async def test_a_lost_worker_keeps_the_report_in_reach(
    server_process: Callable[..., Any], launch: Launch, artifacts: Path
) -> None:
    doomed: ServerProcess = await server_process(**FAST)
    page, _ = await open_page(await launch(), doomed.url)
    status = await talk_freely(page, timeout=30_000)
    await page.wait_for_timeout(3_000)  # a checkpoint of the analysis is stored
    doomed.send(signal.SIGKILL)
    await doomed.wait(10)
    await shows(status.filter(has_text="has not answered"), "the silence told", 8_000)
    assert await page.locator("#cue").inner_text() == "Waiting for the server…", "no 'All good'"
    await capture(page, artifacts, "browser-server-quiet")
    # The server comes back where the page knows it (a restart, or a balancer's other worker).
    await server_process(port=doomed.port, **FAST)
    await shows(status.filter(has_text="Your report is ready"), "the report offered", 60_000)
    await frame_shows_report(page)
    frame = page.frame_locator("#report-frame")
    assert "the server running it stopped" in await frame.locator(".meta").inner_text()
    await capture(page, artifacts, "browser-worker-lost-report")


async def test_a_server_stopped_with_ctrl_c_shows_the_report_once_it_is_back(
    server_process: Callable[..., Any], launch: Launch, artifacts: Path
) -> None:
    """Ctrl-C on the server left "Your report is ready, below" above Chromium's "refused to
    connect", never retried. The page now waits for a server to answer before it frames the
    report, and shows it when the next server is up."""
    stopped: ServerProcess = await server_process(**FAST)
    page, _ = await open_page(await launch(), stopped.url)
    await talk_freely(page, timeout=30_000)
    await page.wait_for_timeout(2_000)
    stopped.send(signal.SIGINT)  # every session ends at once, with its report
    await stopped.wait(30)
    await page.wait_for_timeout(3_000)
    # Either the report was framed before the server went, or the page waits for one to come
    # back: never the browser's "refused to connect" in the frame.
    frame = page.locator("#report-frame")
    if await frame.is_visible():
        await frame_shows_report(page)
    else:
        wait = page.locator("#ending-wait")
        await shows(wait.filter(has_text="Waiting for the server"), "the wait told", 15_000)
        await capture(page, artifacts, "browser-server-stopped")
        await server_process(port=stopped.port, **FAST)
        await shows(wait.filter(has_text="Your report is ready"), "the report, once back", 60_000)
        await frame_shows_report(page)
