"""A two-question interview in real headless Chromium, as a person runs it on the demo page:
choose the practice, check the camera as a step of its own, begin, hear and read each question,
answer (the fake microphone gives a one-sentence answer, then a long one with a pause to think
in it, each followed by silence, so each answer ends by itself; speech that comes while a
question is said talks over it), read the feedback, let the interviewer move on by itself, end,
and read the verdict in place; and a reload mid-interview that continues the same interview.
Screenshots at desktop and phone width land in ``test-artifacts/``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from analyzers import AUDIO_RATE
from tests.conftest import StartServer
from tests.media import phrase, resample, write_wav
from tests.pages.conftest import Launch, accessibility_problems, capture
from tests.pages.test_browser import open_page, shows

README_IMAGES = Path(__file__).resolve().parents[2] / "docs" / "images"
"""The README's screenshots: the walk writes them at desktop width, so they show the page as
it is."""
SHORT = "I would just write some unit tests."
LONG = (
    "In my last role I led a small team, and then",
    "we rebuilt our billing system in three months.",
)


@pytest.fixture(scope="module")
def answering_microphone(media_dir: Path) -> Path:
    """A one-sentence answer, eight seconds of silence, a long answer with a 2.5 s pause to
    think in the middle of its sentence, eight seconds of silence; in a loop."""
    short = phrase(SHORT, media_dir / "short.wav")
    first, second = (phrase(text, media_dir / f"long{i}.wav") for i, text in enumerate(LONG))
    silence = np.zeros(8 * AUDIO_RATE, np.float32)
    thinking = np.zeros(int(2.5 * AUDIO_RATE), np.float32)
    clip = np.concatenate([short, silence, first, thinking, second, silence])
    return write_wav(media_dir / "answer48k.wav", resample(clip, AUDIO_RATE, 48_000), 48_000)


async def begin(page: Any, name: str, artifacts: Path) -> None:
    """Start an interview of two questions: the camera check first, then the questions."""
    await page.get_by_label("Role", exact=True).select_option("software_engineer")
    await page.get_by_label("Questions", exact=True).select_option("2")
    await page.get_by_role("button", name="Start session").click()
    button = page.get_by_role("button", name="Begin the interview")
    await shows(button, "the camera check before the questions", 30_000)
    await shows(
        page.locator("#setup-verdict[data-ok]:not([data-ok='unknown'])"), "its verdict", 20_000
    )
    assert "look straight at your camera" in (await page.locator("#gaze-status").inner_text())
    await capture(page, artifacts, f"interview-setup-{name}")
    await button.click()


async def test_a_two_question_interview_in_the_browser(
    start_server: StartServer,
    launch: Launch,
    answering_microphone: Path,
    artifacts: Path,
) -> None:
    """One walk at desktop width; every state is also looked at at phone width (screenshots,
    sideways scrolling, axe-core: ``capture``)."""
    width, height, name = 1200, 1000, "walk"
    server = await start_server(interview_think_seconds=15.0, transcript=True)
    page, errors = await open_page(
        await launch(microphone=answering_microphone),
        server.url,
        viewport={"width": width, "height": height},
    )
    assert await accessibility_problems(page) == [], "the page before starting"
    await begin(page, name, artifacts)
    question = page.locator("#question")
    await shows(page.locator("#question-number", has_text="Question 1 of 2"), "question 1", 30_000)
    assert (await question.inner_text()).strip(), "the question is shown"
    assert await page.evaluate("document.activeElement.id") == "question", "focus on the question"
    assert await page.locator("#setup").is_hidden(), "the camera check is a step before, not in it"
    README_IMAGES.mkdir(exist_ok=True)
    await page.screenshot(path=str(README_IMAGES / "interview-question.png"))
    box = await page.locator("#interview").bounding_box()
    camera = await page.locator("#preview").bounding_box()
    assert box and camera and box["x"] > camera["x"] + camera["width"] / 2, (
        f"the question sits beside the camera: {box} against {camera}"
    )
    assert box["y"] + box["height"] <= height, f"the question is above the fold: {box}"
    await capture(page, artifacts, "interview-question")
    # How to approach it, on request, before answering.
    approach = page.get_by_role("button", name="How to approach this")
    await approach.click()
    guide = page.locator("#guide")
    await shows(guide.filter(has_text="What the interviewer looks for"), "the guide", 5_000)
    assert await approach.get_attribute("aria-expanded") == "true"
    assert await guide.locator("ol li").count() >= 3, "the outline of a strong answer"
    await capture(page, artifacts, "interview-guide")
    await approach.click()
    assert await guide.is_hidden(), "the guide closes again"
    playing = await page.evaluate("!!document.getElementById('interviewer').srcObject")
    assert playing, "the interviewer's voice is attached to the page's audio element"
    clock = page.locator("#answer-clock")
    for number in (1, 2):
        await shows(
            page.locator(f"#question-number:has-text('Question {number} of 2')"),
            f"question {number}",
            40_000,
        )
        await shows(
            clock.locator("xpath=self::*[@data-phase='answering' or @data-phase='late']"),
            f"answer {number} started",
            40_000,
        )
        await shows(
            clock.locator("xpath=self::*[@data-phase='answered']"), f"answer {number} ended", 40_000
        )
        await shows(page.locator("#answer-feedback p").first, f"feedback {number}", 20_000)
        if number == 1:
            feedback = page.locator("#answer-feedback")
            await shows(feedback.locator(".advice-good, .advice-change li").first, "advice", 20_000)
            assert await feedback.locator("details summary").inner_text() == (
                "How a strong answer goes"
            )
            await capture(page, artifacts, "interview-feedback")  # the advice fits both
            # Nothing is clicked: the interviewer moves on by itself after the feedback.
            await shows(
                clock.filter(has_text="Next question in"), "the countdown to the next", 10_000
            )
    await shows(page.locator("#question-number", has_text="All done"), "the end", 10_000)
    assert await page.evaluate("document.activeElement.id") == "disconnect"
    await page.get_by_role("button", name="End session").click()
    # At once: what is known, the live panel gone.
    ending = page.locator("#ending")
    await shows(ending.filter(has_text="You answered 2 questions"), "what is known at once", 5_000)
    assert await page.locator("#readouts").is_hidden(), "the live readouts make way"
    await capture(page, artifacts, "interview-ending")
    # Then the report in place, in this tab, opening with the verdict.
    frame = page.frame_locator("#report-frame")
    await frame.get_by_role("heading", name="Your interview", exact=True).wait_for(timeout=40_000)
    assert await frame.locator(".verdict li").count() >= 2, "strengths and things to work on"
    link = page.get_by_role("link", name="Open your report on a page of its own")
    assert (await link.get_attribute("href") or "").endswith("/report?format=html")
    assert await link.get_attribute("target") is None, "the report opens in this tab"
    # A phone turned to a wide window: the frame shrinks with its report.
    await page.set_viewport_size({"width": 390, "height": 844})
    await page.wait_for_timeout(1_000)
    tall = await page.locator("#report-frame").evaluate("f => f.offsetHeight")
    await page.set_viewport_size({"width": 1280, "height": 900})
    await page.wait_for_timeout(1_000)
    short = await page.locator("#report-frame").evaluate("f => f.offsetHeight")
    inner = await page.locator("#report-frame").evaluate(
        "f => Math.ceil(f.contentDocument.body.getBoundingClientRect().bottom)"
    )
    assert short < tall * 0.8 and short - inner < 200, (
        f"the frame should follow its report: {tall} px at 390 wide, {short} px at 1280 "
        f"for a report {inner} px tall"
    )
    await page.set_viewport_size({"width": width, "height": height})
    await capture(page, artifacts, "interview-verdict")
    await page.locator("#ending").evaluate("e => e.scrollIntoView()")  # what a person sees first
    await page.screenshot(path=str(README_IMAGES / "interview-verdict.png"))
    report = await page.context.new_page()
    await report.goto(server.url + (await link.get_attribute("href") or ""))
    await report.get_by_role("heading", name="Your interview", exact=True).wait_for()
    await capture(report, artifacts, "interview-report")
    await report.close()
    width_seen = await page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width_seen[0] <= width_seen[1], f"no sideways scrolling: {width_seen}"
    # Their progress, one click away (the page keeps their practice id, never a name).
    progress = page.get_by_role("link", name="Your progress over your sessions")
    await progress.wait_for()
    await progress.click()
    await page.get_by_role("heading", name="Your progress", exact=True).wait_for()
    assert "1 practice session with a report" in await page.content()
    sessions = page.get_by_role("region", name="Your sessions").get_by_role("link")
    assert await sessions.count() == 1, "each past session, with a link to its report"
    assert (await sessions.first.get_attribute("href") or "").endswith("/report?format=html")
    labels = await page.evaluate(
        """() => [...document.querySelectorAll('.trend svg')].flatMap((svg) => {
            const box = svg.getBoundingClientRect();
            return [...svg.querySelectorAll('text')].map((t) => {
                const r = t.getBoundingClientRect();
                return {text: t.textContent, height: r.height,
                        inside: r.left >= box.left - 0.5 && r.right <= box.right + 0.5};
            });
        })"""
    )
    assert labels, "the trends have labels"
    small = [lab for lab in labels if lab["height"] < 10 or not lab["inside"]]
    assert small == [], f"every chart label legible (10 px or more) and inside its chart: {small}"
    await capture(page, artifacts, "progress")
    assert errors == []


@pytest.mark.parametrize(("width", "height", "name"), [(1280, 900, "desktop"), (390, 844, "phone")])
async def test_a_reload_mid_interview_continues_it(
    start_server: StartServer,
    launch: Launch,
    answering_microphone: Path,
    artifacts: Path,
    width: int,
    height: int,
    name: str,
) -> None:
    """A reload mid-interview once came back blank, the role reset and the interview lost.
    The page offers to continue it: a new connection into the same session, at the question
    it had got to."""
    server = await start_server(interview_think_seconds=15.0, transcript=True)
    page, errors = await open_page(
        await launch(microphone=answering_microphone),
        server.url,
        viewport={"width": width, "height": height},
    )
    await begin(page, name, artifacts)
    await shows(page.locator("#question-number", has_text="Question 1 of 2"), "question 1", 30_000)
    asked = (await page.locator("#question").inner_text()).strip()
    session = (await page.locator("#session").inner_text()).strip()
    page.once("dialog", lambda dialog: dialog.accept())  # "leave the page?": yes
    await page.reload()
    resume = page.get_by_role("button", name="Continue your interview")
    await shows(resume, "the offer to continue", 10_000)
    await page.screenshot(path=str(artifacts / f"interview-reloaded-{name}.png"), full_page=True)
    assert await accessibility_problems(page) == [], "the page offering to continue"
    await resume.click()
    await shows(page.locator("#question-number", has_text="of 2"), "the interview again", 30_000)
    assert (await page.locator("#session").inner_text()).strip() == session, "the same session"
    shown = (await page.locator("#question").inner_text()).strip()
    assert shown == asked or "Question 2" in await page.locator("#question-number").inner_text()
    await page.screenshot(path=str(artifacts / f"interview-continued-{name}.png"), full_page=True)
    await page.get_by_role("button", name="End session").click()
    frame = page.frame_locator("#report-frame")
    await frame.get_by_role("heading", name="Your interview", exact=True).wait_for(timeout=40_000)
    width_seen = await page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width_seen[0] <= width_seen[1], f"no sideways scrolling: {width_seen}"
    assert errors == []
