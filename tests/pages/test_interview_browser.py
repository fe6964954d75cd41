"""A two-question interview in real headless Chromium, as a person runs it on the demo page:
choose the practice, hear and read each question, answer (the fake microphone speaks, then
falls silent, so each answer ends by itself), read the feedback, go on, end, and read the
verdict in place. Screenshots at desktop and phone width land in ``test-artifacts/``."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from analyzers import AUDIO_RATE
from tests.conftest import StartServer
from tests.media import phrase, resample, write_wav
from tests.pages.conftest import Launch, accessibility_problems
from tests.pages.test_browser import open_page, shows

README_IMAGES = Path(__file__).resolve().parents[2] / "docs" / "images"
"""The README's screenshots: the desktop run writes them, so they show the page as it is."""
ANSWER = "I led a small team that rebuilt our billing system in three months"


@pytest.fixture(scope="module")
def answering_microphone(media_dir: Path) -> Path:
    """Speech for about four seconds, then nine seconds of silence, in a loop."""
    speech = phrase(ANSWER, media_dir / "answer.wav")
    silence = np.zeros(9 * AUDIO_RATE, np.float32)
    clip = np.concatenate([speech, silence])
    return write_wav(media_dir / "answer48k.wav", resample(clip, AUDIO_RATE, 48_000), 48_000)


@pytest.mark.parametrize(
    ("width", "height", "name"), [(1200, 1000, "desktop"), (390, 844, "phone")]
)
async def test_a_two_question_interview_in_the_browser(
    start_server: StartServer,
    launch: Launch,
    answering_microphone: Path,
    artifacts: Path,
    width: int,
    height: int,
    name: str,
) -> None:
    server = await start_server(interview_think_seconds=15.0, transcript=True)
    page, errors = await open_page(
        await launch(microphone=answering_microphone),
        server.url,
        viewport={"width": width, "height": height},
    )
    assert await accessibility_problems(page) == [], "the page before starting"
    await page.get_by_label("Role", exact=True).select_option("software_engineer")
    await page.get_by_label("Questions", exact=True).select_option("2")
    await page.get_by_role("button", name="Start session").click()
    question = page.locator("#question")
    await shows(page.locator("#question-number", has_text="Question 1 of 2"), "question 1", 30_000)
    assert (await question.inner_text()).strip(), "the question is shown"
    assert await page.evaluate("document.activeElement.id") == "question", "focus on the question"
    await page.screenshot(path=str(artifacts / f"interview-question-{name}.png"), full_page=True)
    if name == "desktop":
        README_IMAGES.mkdir(exist_ok=True)
        await page.screenshot(path=str(README_IMAGES / "interview-question.png"))
    assert await accessibility_problems(page) == [], "the page during a question"
    playing = await page.evaluate("!!document.getElementById('interviewer').srcObject")
    assert playing, "the interviewer's voice is attached to the page's audio element"
    for number in (1, 2):
        clock = page.locator("#answer-clock")
        await shows(clock.filter(has_text="Answering"), f"answer {number} started", 40_000)
        await shows(clock.filter(has_text="You paused"), f"answer {number} ended", 40_000)
        await shows(page.locator("#answer-feedback p").first, f"feedback {number}", 20_000)
        if number == 1:
            await page.screenshot(
                path=str(artifacts / f"interview-feedback-{name}.png"), full_page=True
            )
        await page.get_by_role("button", name="Next question").click()
        if number == 1:
            await shows(
                page.locator("#question-number", has_text="Question 2 of 2"), "question 2", 20_000
            )
    await shows(page.locator("#question-number", has_text="All done"), "the end", 10_000)
    assert await page.evaluate("document.activeElement.id") == "disconnect"
    await page.get_by_role("button", name="End session").click()
    # At once: what is known, the live panel gone.
    ending = page.locator("#ending")
    await shows(ending.filter(has_text="You answered 2 questions"), "what is known at once", 5_000)
    assert await page.locator("#readouts").is_hidden(), "the live readouts make way"
    await page.screenshot(path=str(artifacts / f"interview-ending-{name}.png"), full_page=True)
    assert await accessibility_problems(page) == [], "the page as the session ends"
    # Then the report in place, in this tab, opening with the verdict.
    frame = page.frame_locator("#report-frame")
    await frame.get_by_role("heading", name="Your interview", exact=True).wait_for(timeout=40_000)
    assert await frame.locator(".verdict li").count() >= 2, "strengths and things to work on"
    await page.wait_for_function("document.getElementById('verdict').hidden", timeout=5_000)
    link = page.get_by_role("link", name="Open your report on a page of its own")
    assert (await link.get_attribute("href") or "").endswith("/report?format=html")
    assert await link.get_attribute("target") is None, "the report opens in this tab"
    await page.screenshot(path=str(artifacts / f"interview-verdict-{name}.png"), full_page=True)
    if name == "desktop":  # the top of the ending: what a person sees first
        await page.locator("#ending").evaluate("e => e.scrollIntoView()")
        await page.screenshot(path=str(README_IMAGES / "interview-verdict.png"))
    assert await accessibility_problems(page) == [], "the page with the report in place"
    report = await page.context.new_page()
    await report.goto(server.url + (await link.get_attribute("href") or ""))
    await report.get_by_role("heading", name="Your interview", exact=True).wait_for()
    await report.screenshot(path=str(artifacts / f"interview-report-{name}.png"), full_page=True)
    assert await accessibility_problems(report) == [], "the interview's report"
    await report.close()
    width_seen = await page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width_seen[0] <= width_seen[1], f"no sideways scrolling: {width_seen}"
    # Their progress, one click away (the page keeps their practice id, never a name).
    progress = page.get_by_role("link", name="Your progress over your sessions")
    await progress.wait_for()
    await progress.click()
    await page.get_by_role("heading", name="Your progress", exact=True).wait_for()
    assert "1 practice session with a report" in await page.content()
    await page.screenshot(path=str(artifacts / f"progress-{name}.png"), full_page=True)
    assert await accessibility_problems(page) == [], "the progress page"
    width_seen = await page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width_seen[0] <= width_seen[1], f"no sideways scrolling: {width_seen}"
    assert errors == []
