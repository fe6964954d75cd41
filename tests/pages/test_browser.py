"""The demo page in real headless Chromium (Debian's ``/usr/bin/chromium``), driven through
Playwright as a person would use it. The fake camera plays the astronaut photo for 6 s and an
empty frame for 4 s, in a loop; the fake microphone plays espeak-ng phrases with pauses.

Screenshots land in ``test-artifacts/``.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from playwright.async_api import TimeoutError as PlaywrightTimeout

from loadtest.peer import ClientPeer, StillsTrack
from signaling.http.app_keys import SERVICE
from tests.conftest import RunningServer, StartServer
from tests.media import blank
from tests.pages.conftest import Launch, accessibility_problems, capture
from tests.signaling.test_auth import KEY, SECRET
from tests.webrtc.test_packets import rate
from tests.webrtc.test_recording import recorded_session, voice  # noqa: F401 (a fixture)


async def open_page(browser: Any, url: str, **context: Any) -> tuple[Any, list[str]]:
    """A page of the demo and the console errors it will log."""
    page = await (await browser.new_context(**context)).new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    await page.goto(url)
    return page, errors


async def talk_freely(page: Any, timeout: float = 20_000) -> Any:
    """Start a session of talking freely (no interview) and wait until it analyses a face;
    the page's status, to watch."""
    await page.get_by_label("Practise", exact=True).select_option("open")
    await page.get_by_role("button", name="Start session").click()
    status = page.get_by_role("status")
    await shows(status.filter(has_text="Connected"), "'Connected'", timeout)
    await readout(page, "#face", "yes")
    return status


async def readout(page: Any, selector: str, value: str, timeout: float = 20_000) -> None:
    """Wait for the readout to show ``value``; failing, say what it showed instead."""
    try:
        await page.locator(f'{selector}[data-value="{value}"]').wait_for(timeout=timeout)
    except PlaywrightTimeout:
        element = page.locator(selector)
        shown = await element.get_attribute("data-value"), await element.inner_text()
        raise AssertionError(
            f"{selector} should read {value!r} within {timeout / 1000:g} s; it reads "
            f"{shown[0]!r} ({shown[1]!r})"
        ) from None


async def shows(locator: Any, what: str, timeout: float) -> None:
    """Wait for ``locator``; failing, say what the page showed instead."""
    try:
        await locator.wait_for(timeout=timeout)
    except PlaywrightTimeout:
        status = await locator.page.get_by_role("status").all_inner_texts()
        raise AssertionError(
            f"expected {what} within {timeout / 1000:g} s; the page's status read {status}"
        ) from None


async def test_a_person_connects_watches_and_ends(
    start_server: StartServer, launch: Launch, artifacts: Path
) -> None:
    # Any speech is "too quiet" at a 0 dBFS threshold: a nudge comes within seconds of talk.
    # The fake camera's empty seconds would take the one nudge per 20 s first ("Move back into
    # the picture" is told within seconds): that rule is kept out of this test's way.
    server = await start_server(
        transcript=True, nudge_level_min_dbfs=0.0, nudge_face_visible_min=0.0
    )
    page, errors = await open_page(
        await launch(), server.url, viewport={"width": 1200, "height": 1000}
    )
    await page.get_by_label("Practise", exact=True).select_option("open")  # no questions: just talk
    await page.get_by_role("button", name="Start session").click()
    status = page.get_by_role("status")
    await shows(status.filter(has_text="Connected"), "'Connected'", 20_000)
    await shows(page.locator("#cue:focus"), "focus moved to the coach's cue", 10_000)
    # A coach first: one cue and four steady indicators; every number behind a disclosure.
    await shows(page.locator("#cue", has_text="All good"), "the calm cue", 10_000)
    assert await page.locator("#numbers").get_attribute("open") is None
    assert not await page.locator("#expression").is_visible()
    await page.get_by_text("All the numbers").click()

    # The face is there: presence, gaze, pose and expression fill in.
    await readout(page, "#face", "yes")
    await readout(page, "#eye-contact", "yes")
    await shows(page.locator("#expression", has_text="happy"), "expression 'happy'", 10_000)
    assert (await page.locator("#head-pose").inner_text()).count("°") == 3
    assert await page.locator("#faces").inner_text() == "1"
    await page.screenshot(path=str(artifacts / "browser-face.png"), full_page=True)

    # The setup check arrives after the first seconds, and again when asked for.
    await page.locator("#setup").wait_for(state="visible", timeout=15_000)
    verdict = page.locator("#setup-verdict")
    assert await verdict.get_attribute("data-ok") in ("true", "false")
    await page.get_by_role("button", name="Check again").click()
    await shows(
        page.get_by_role("button", name="Check again").and_(page.locator(":enabled")),
        "the setup checked again",
        10_000,
    )
    assert (await verdict.inner_text()).startswith(("All good", "Before you start"))
    await shows(page.locator("#posture", has_text="off level"), "a posture", 15_000)

    # The camera goes blank: the page says so, and the face readouts empty.
    await readout(page, "#face", "no", timeout=15_000)
    await readout(page, "#eye-contact", "unknown", timeout=2_000)
    assert await page.locator("#faces").inner_text() == "0"
    assert await page.locator("#expression").inner_text() == "\u2013"
    await page.screenshot(path=str(artifacts / "browser-no-face.png"), full_page=True)
    await readout(page, "#face", "yes", timeout=15_000)  # and back, as the clip loops

    # Where the person looks: two seconds on the interviewer's picture set their eye contact.
    gaze = page.locator("#gaze-status")
    await page.get_by_role("button", name="Set where I look").click()
    assert await gaze.get_attribute("data-state") == "looking"
    await shows(page.locator('#gaze-status[data-state="done"]'), "the calibration done", 10_000)
    assert (await gaze.inner_text()).startswith("Got it"), await gaze.inner_text()
    assert await page.get_by_role("button", name="Set it again").is_enabled()
    await page.locator("#setup").screenshot(path=str(artifacts / "browser-calibrated.png"))

    # Speech follows the pauses: speaking, quiet, speaking again.
    await readout(page, "#speech", "speaking")
    await readout(page, "#speech", "quiet", timeout=10_000)
    await readout(page, "#speech", "speaking", timeout=10_000)
    await shows(page.locator("#speaking-rate", has_text="words/min"), "a speaking rate", 15_000)
    # The coach's one cue: "Speak up", large, then calm again.
    cue = page.locator("#cue")
    await shows(cue.filter(has_text="Speak up"), "the cue 'Speak up'", 20_000)
    assert await cue.get_attribute("data-kind") == "speak_up"
    assert await cue.get_attribute("data-severity") == "high"
    assert (await page.locator("#pitch").inner_text()).endswith("Hz")
    # What was said appears as captions (the fake microphone speaks English phrases).
    await shows(page.locator("#captions .caption").first, "a caption", 40_000)
    caption = await page.locator("#captions").inner_text()
    assert len(caption.split()) >= 2, f"captions read {caption!r}"
    # A long run without spaces (a URL, an unbroken Latin or CJK run) wraps inside the captions.
    # Pins: one widened the page to 1952 px at 1280.
    await page.evaluate(
        """() => { const line = document.createElement('span'); line.className = 'caption';
        line.textContent = 'x'.repeat(400) + '\u4e2d'.repeat(200);
        document.getElementById('captions').append(line); }"""
    )
    wide = await page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert wide[0] <= wide[1], f"a long caption made the page {wide[0]} px wide at {wide[1]}"
    await page.evaluate("document.querySelector('#captions .caption:last-child').remove()")
    assert await page.locator("#fillers").get_attribute("data-value") is not None
    assert int(await page.locator("#frames").inner_text()) > 0
    await capture(page, artifacts, "browser-live")
    assert len(server.registry) == 1

    # Ending shows what is known at once, then the report in place with its charts.
    await page.get_by_role("button", name="End session").click()
    ending = page.locator("#ending")
    await shows(ending.filter(has_text="You practised for"), "what is known at once", 5_000)
    assert "The coach gave you" in await ending.inner_text(), "the 'Speak up' cue is counted"
    assert await page.locator("#readouts").is_hidden(), "the live readouts make way"
    assert await page.locator("#preview").is_hidden(), "the blank camera makes way"
    await capture(page, artifacts, "browser-ending")
    await shows(status.filter(has_text="Session ended"), "'Session ended'", 40_000)
    assert await cue.get_attribute("data-severity") == "idle", "the cue goes quiet at the end"
    assert await cue.is_hidden(), "no stale 'All good' beside the ending"
    frame = page.frame_locator("#report-frame")
    await frame.get_by_role("heading", name="Your session").wait_for(timeout=40_000)
    assert await frame.locator("svg").count() >= 5
    moments = frame.locator("svg.moments")
    assert "Tips from the coach (1)" in (await moments.text_content() or ""), "the cue marked"
    await capture(page, artifacts, "browser-report-in-place")
    link = page.get_by_role("link", name="Open your report")
    report_url = await link.get_attribute("href")
    assert report_url is not None and report_url.endswith("/report?format=html")
    report_page = await page.context.new_page()
    await report_page.goto(server.url + report_url)
    await report_page.get_by_role("heading", name="Your session").wait_for()
    assert await report_page.locator("svg").count() >= 5
    assert "happy" in await report_page.content()
    await report_page.screenshot(path=str(artifacts / "browser-report.png"), full_page=True)
    assert len(server.registry) == 0
    assert errors == []


async def failure_shown(page: Any, text: str) -> str:
    await page.get_by_role("button", name="Start session").click()
    status = page.get_by_role("status")
    await shows(status.filter(has_text=text), repr(text), 20_000)
    assert await status.get_attribute("data-state") == "failed"
    assert await page.get_by_role("button", name="Start session").is_enabled(), "can retry"
    return await status.inner_text()


async def test_camera_denied(server: RunningServer, launch: Launch, artifacts: Path) -> None:
    page, _ = await open_page(await launch(camera_allowed=False), server.url)
    shown = await failure_shown(page, "camera or microphone access was denied")
    assert "allow the camera and microphone for this site" in shown, f"no next step: {shown!r}"
    await capture(page, artifacts, "browser-camera-denied")
    assert len(server.registry) == 0


async def test_server_unreachable(
    start_server: StartServer, launch: Launch, artifacts: Path
) -> None:
    server = await start_server()
    page, _ = await open_page(await launch(), server.url)
    await server.runner.cleanup()
    await failure_shown(page, "cannot reach the Interview Lens server")
    await capture(page, artifacts, "browser-unreachable")


async def test_server_full(start_server: StartServer, launch: Launch, artifacts: Path) -> None:
    server = await start_server(max_sessions=1)
    occupant = ClientPeer(server.url, [StillsTrack([blank()])])
    async with aiohttp.ClientSession() as http:
        await occupant.connect(http)
    try:
        page, _ = await open_page(await launch(), server.url)
        await failure_shown(page, "the server is busy with other interviews")
        await capture(page, artifacts, "browser-server-full")
    finally:
        await occupant.close()


async def test_phone_viewport_and_labelled_controls(
    server: RunningServer, launch: Launch, artifacts: Path
) -> None:
    page, errors = await open_page(
        await launch(),
        server.url,
        viewport={"width": 390, "height": 844},
        is_mobile=True,
        has_touch=True,
        device_scale_factor=2,
    )
    await page.get_by_role("button", name="Start session").click()
    await shows(page.get_by_role("status").filter(has_text="Connected"), "'Connected'", 20_000)
    await readout(page, "#face", "yes")
    await page.get_by_text("All the numbers").click()
    await page.locator("#frames").wait_for()
    await page.locator("#setup").wait_for(state="visible", timeout=15_000)
    width = await page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], f"no sideways scrolling on a phone: {width}"
    for name in ("Start session", "End session", "Set where I look"):
        box = await page.get_by_role("button", name=name).bounding_box()
        assert box is not None and box["height"] >= 44 and box["x"] + box["width"] <= 390
    unnamed = await page.evaluate(
        """[...document.querySelectorAll('button, a, video, meter, input, summary')]
             .filter(el => !(el.getAttribute('aria-label') || el.textContent.trim()
                             || el.labels?.length))
             .map(el => el.outerHTML)"""
    )
    assert unnamed == [], unnamed
    await page.screenshot(path=str(artifacts / "browser-phone.png"), full_page=True)
    await page.get_by_role("button", name="End session").click()
    await shows(
        page.get_by_role("status").filter(has_text="Session ended"), "'Session ended'", 10_000
    )
    assert errors == []


EMBEDDING_PAGE = """<!doctype html><html><head><title>embedding</title></head><body>
<script type="module">
import {{ LensClient }} from "{lens}/static/js/lens-client.js";
const lens = new LensClient({{ baseUrl: "{lens}" }});
const stream = await navigator.mediaDevices.getUserMedia(LensClient.mediaConstraints());
try {{
  await lens.connect(stream);
  document.title = "connected";
}} catch (err) {{
  document.title = `failed ${{err.code}} ${{err.retryAfter}}`;
}}
</script></body></html>"""


@contextlib.asynccontextmanager
async def platform_page() -> AsyncIterator[tuple[str, list[str]]]:
    """A platform's page embedding LensClient, served from its own origin: yields that origin
    and the list to put the Lens server's URL in (another port: another origin)."""
    page_app = web.Application()
    lens_url: list[str] = []

    async def embedding(_: web.Request) -> web.Response:
        return web.Response(text=EMBEDDING_PAGE.format(lens=lens_url[0]), content_type="text/html")

    page_app.router.add_get("/", embedding)
    runner = web.AppRunner(page_app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}", lens_url
    finally:
        await runner.cleanup()


async def test_a_platform_page_on_another_origin_reads_server_full(
    start_server: StartServer, launch: Launch
) -> None:
    """Pins: error answers carried no CORS headers, so a page on an allowed origin saw
    "Failed to fetch" for a 503 and LensClient said server_unreachable instead of server_full
    with the server's Retry-After. Here the platform's page is served from its own origin."""
    async with platform_page() as (platform, lens_url):
        server = await start_server(max_sessions=1, cors_origins=platform)
        lens_url.append(server.url)
        occupant = ClientPeer(server.url, [StillsTrack([blank()])])
        async with aiohttp.ClientSession() as http:
            await occupant.connect(http)
        try:
            page = await (await (await launch()).new_context()).new_page()
            await page.goto(platform + "/")
            await page.wait_for_function("document.title.startsWith('failed')", timeout=20_000)
            title = await page.title()
            assert title == "failed server_full 30", f"the page saw {title!r}"
        finally:
            await occupant.close()


async def test_lens_client_offers_again_when_a_worker_is_draining(
    start_server: StartServer, launch: Launch
) -> None:
    """A worker that is shutting down answers offers 503 draining with Retry-After: 1;
    LensClient sends the offer again (behind a balancer the retry reaches another node). Here
    the server stops draining after the first refusal, as the balancer's next pick would."""
    async with platform_page() as (platform, lens_url):
        server = await start_server(cors_origins=platform)
        lens_url.append(server.url)
        service = server.app[SERVICE]
        service.draining_until = time.time() + 60
        refused: list[int] = []

        page = await (await (await launch()).new_context()).new_page()

        def answered(response: Any) -> None:
            if response.url.endswith("/api/offer") and response.request.method == "POST":
                refused.append(response.status)
                service.draining_until = None  # the next offer is accepted

        page.on("response", answered)
        await page.goto(platform + "/")
        await page.wait_for_function(
            "document.title === 'connected' || document.title.startsWith('failed')",
            timeout=30_000,
        )
        title = await page.title()
        assert title == "connected", f"the page saw {title!r} after offers {refused}"
        assert refused[:2] == [503, 200], f"expected a refusal then an answer: {refused}"


async def test_the_recording_plays_in_the_report_in_step(
    start_server: StartServer,
    launch: Launch,
    artifacts: Path,
    voice: Any,  # noqa: F811 (the fixture imported above)
) -> None:
    """A recorded session's report page, opened with the session's token: the video loads
    (its duration within 10 % of the session's), plays, the cursor follows it across the
    charts, and a click half-way along a chart seeks there; at phone width too."""
    server = await start_server(secret=SECRET, api_key=KEY, recording="allowed")
    created, report, _ = await recorded_session(server, voice, seconds=6.0)
    url = (
        f"{server.url}/api/sessions/{created['session_id']}/report"
        f"?format=html&token={created['token']}"
    )
    browser = await launch()
    for viewport in ({"width": 1200, "height": 1000}, {"width": 390, "height": 844}):
        page, errors = await open_page(browser, url, viewport=viewport)
        video = page.locator("#review")
        await video.wait_for()
        await page.wait_for_function(
            "document.getElementById('review').readyState >= 1", timeout=15_000
        )
        duration = await video.evaluate("v => v.duration")
        assert duration == pytest.approx(report["duration"], rel=0.1), (duration, report)
        await video.evaluate("v => { v.muted = true; return v.play(); }")
        await page.wait_for_function(
            "document.getElementById('review').currentTime > 1", timeout=15_000
        )
        assert float(await page.evaluate("document.body.dataset.cursor")) > 0.5
        chart = page.locator("svg.chart").first
        await video.evaluate("v => v.pause()")
        await chart.scroll_into_view_if_needed()
        target = await chart.evaluate(
            """svg => {
                const r = svg.getBoundingClientRect(), d = svg.dataset;
                const x = +d.x0 + (+d.x1 - +d.x0) / 2;
                return { x: r.left + x * r.width / svg.viewBox.baseVal.width,
                         y: r.top + r.height / 2, t: +d.span / 2 };
            }"""
        )
        await page.mouse.click(target["x"], target["y"])
        now = await video.evaluate("v => v.currentTime")
        assert now == pytest.approx(target["t"], abs=0.5), (now, target)
        # By keyboard: the chart moves the recording 5 s on, and says where it is.
        await chart.focus()
        await page.keyboard.press("ArrowRight")
        later = await video.evaluate("v => v.currentTime")
        assert later == pytest.approx(min(now + 5, duration), abs=0.3), (now, later)
        await shows(page.locator("p[aria-live]", has_text="Recording at"), "the time said", 5_000)
        assert await accessibility_problems(page) == [], "the review page"
        width = await page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        assert width[0] <= width[1], f"no sideways scrolling: {width}"
        await page.screenshot(
            path=str(artifacts / f"review-{viewport['width']}.png"), full_page=True
        )
        assert errors == []
        await page.close()


async def test_a_person_records_a_session_in_chromium_and_watches_it(
    start_server: StartServer, launch: Launch, artifacts: Path
) -> None:
    """The demo page's unticked record box, ticked: what Chromium itself sent (its VP8 and
    Opus) is recorded and plays in the report, as long as the session."""
    server = await start_server(recording="allowed")
    page, errors = await open_page(await launch(), server.url)
    box = page.get_by_label("Record this session so I can review it")
    await box.wait_for()
    assert not await box.is_checked(), "recording is never on by default"
    await box.check()
    await page.get_by_role("button", name="Start session").click()
    status = page.get_by_role("status")
    await shows(status.filter(has_text="Connected"), "'Connected'", 20_000)
    await readout(page, "#face", "yes")
    # Long enough for the fake camera's face to leave (at 6 s of its loop) for a whole
    # second of the timeline: the event the review seeks to below.
    await page.wait_for_timeout(8_000)
    await page.get_by_role("button", name="End session").click()
    link = page.get_by_role("link", name="Open your report")
    await link.wait_for(timeout=15_000)
    href = await link.get_attribute("href")
    assert href is not None
    async with aiohttp.ClientSession() as http:
        async with http.get(server.url + href.replace("format=html", "format=json")) as response:
            report = await response.json()
    assert report["recording"]["state"] == "complete", report["recording"]
    review = await page.context.new_page()
    await review.goto(server.url + href)
    video = review.locator("#review")
    await video.wait_for()
    await review.wait_for_function(
        "document.getElementById('review').readyState >= 1", timeout=15_000
    )
    duration = await video.evaluate("v => v.duration")
    assert duration == pytest.approx(report["duration"], rel=0.1), (duration, report["duration"])
    await video.evaluate("v => { v.muted = true; return v.play(); }")
    await review.wait_for_function(
        "document.getElementById('review').currentTime > 1", timeout=15_000
    )
    await review.screenshot(path=str(artifacts / "review-chromium.png"), full_page=True)
    # An event (the face left the fake camera's picture): reachable by keyboard, named with
    # its time, and Enter plays the recording from there.
    await video.evaluate("v => v.pause()")
    event = review.locator(".events [data-t]:visible").first
    await event.focus()
    named = await event.get_attribute("aria-label") or await event.inner_text()
    assert re.match(r"\d+:\d\d", named), f"named with its time: {named!r}"
    await review.keyboard.press("Enter")
    t = float(await event.get_attribute("data-t") or 0)
    seeked = await video.evaluate("v => v.currentTime")
    assert seeked == pytest.approx(t, abs=0.3), (seeked, t)
    assert errors == []


async def test_chromium_sends_the_packet_time_the_answer_asks(
    start_server: StartServer, launch: Launch
) -> None:
    for ptime, expected in ((60, 1000 / 60), (0, 1000 / 20)):
        server = await start_server(audio_ptime=ptime)
        browser = await launch()
        page, errors = await open_page(browser, server.url)
        await page.get_by_role("button", name="Start session").click()
        await shows(page.get_by_role("status").filter(has_text="Connected"), "'Connected'", 20_000)
        got = await rate(server)
        await page.get_by_role("button", name="End session").click()
        await browser.close()
        assert abs(got["audio"] - expected) < 0.15 * expected, (
            f"a=ptime {ptime or 'absent'}: expected ~{expected:.1f} audio packets/s from "
            f"Chromium, got {got}"
        )
        assert errors == [], errors


async def test_a_dropped_connection_keeps_the_report_in_reach(
    server: RunningServer, launch: Launch, artifacts: Path
) -> None:
    """The media connection drops mid-session (closed under the page): the page says so, and
    offers the report as soon as the server has made it."""
    page, errors = await open_page(await launch(), server.url)
    status = await talk_freely(page)
    await page.wait_for_timeout(3_000)
    session = next(iter(server.registry))
    await session.pc.close()  # the connection goes, with no goodbye on the channel
    await shows(status.filter(has_text="report will appear here"), "the promise", 20_000)
    await shows(status.filter(has_text="Your report is ready"), "the report offered", 30_000)
    link = page.get_by_role("link", name="Open your report")
    assert (await link.get_attribute("href") or "").endswith(f"{session.id}/report?format=html")
    await frame_shows_report(page)
    await capture(page, artifacts, "browser-dropped-report")
    assert errors == [], errors


async def frame_shows_report(page: Any) -> None:
    """The report in place on the demo page, in its frame."""
    frame = page.frame_locator("#report-frame")
    await frame.get_by_role("heading", name="Your session").wait_for(timeout=20_000)


async def test_a_restarting_server_ends_the_session_with_its_report(
    start_server: StartServer, launch: Launch, artifacts: Path
) -> None:
    """Pins: on a drain the page said "Connection failed" beside a valid report link. Now the
    person is told the server is restarting and until when the session may go on; when it
    ends, the page says why, in words, and shows the report in place."""
    server = await start_server()
    page, errors = await open_page(await launch(), server.url)
    status = await talk_freely(page)
    draining = asyncio.ensure_future(server.app[SERVICE].drain(4.0))
    await shows(status.filter(has_text="the server is restarting"), "the drain told", 10_000)
    await capture(page, artifacts, "browser-draining")
    await shows(status.filter(has_text="it ended your session"), "the end explained", 20_000)
    assert await status.get_attribute("data-state") == "closed", "an ending, not a failure"
    await frame_shows_report(page)
    await capture(page, artifacts, "browser-drained-report")
    await draining
    assert errors == [], errors
