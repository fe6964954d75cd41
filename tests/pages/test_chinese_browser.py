"""A Chinese interview in real headless Chromium, from the demo page in Chinese to the report
and the progress page: at every state (before starting, the camera check, a question and its
guide, answering, the feedback, the end, the report in place, progress) the page shows no
English word outside data, and nothing scrolls sideways at desktop or phone width. The fake
microphone is a real Mandarin speaker (F5-TTS's reference recording). Screenshots of every
state at both widths land in ``test-artifacts/``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from analyzers import AUDIO_RATE
from testmedia.f5 import MANDARIN, recording
from tests.conftest import StartServer
from tests.media import resample, write_wav
from tests.pages.conftest import Launch
from tests.pages.test_browser import open_page, shows
from tests.pages.test_chinese import ALLOWED, ENGLISH

VISIBLE_WORDS = """() => {
  // Text a person sees, leaving out data: what was said, the question, code, and anything
  // marked as another language (the language menu names each language in its own words).
  const skip = "script, style, code, q, blockquote, time, #captions, #question, #session, "
    + "[lang]:not([lang^='zh']), .transcript";
  const words = [];
  const walk = (node) => {
    if (node.nodeType === Node.TEXT_NODE) {
      if (node.textContent.trim()) words.push(node.textContent.trim());
      return;
    }
    if (node.nodeType !== Node.ELEMENT_NODE || node.matches(skip)) return;
    const style = getComputedStyle(node);
    if (node.hidden || style.display === "none" || style.visibility === "hidden") return;
    for (const name of ["aria-label", "title", "placeholder"]) {
      if (node.getAttribute(name)) words.push(node.getAttribute(name));
    }
    if (node.tagName === "IFRAME" && node.contentDocument) walk(node.contentDocument.body);
    // A closed disclosure shows its summary only.
    const shown = node.tagName === "DETAILS" && !node.open
      ? [...node.children].filter((c) => c.tagName === "SUMMARY") : node.childNodes;
    for (const child of shown) walk(child);
  };
  walk(document.body);
  return words;
}"""


async def english_on(page: Any) -> list[str]:
    found = []
    for text in await page.evaluate(VISIBLE_WORDS):
        found += [f"{w!r} in {text[:80]!r}" for w in ENGLISH.findall(text) if w not in ALLOWED]
    return found


@pytest.fixture(scope="module")
def mandarin_microphone(media_dir: Path) -> Path:
    """A real Mandarin sentence, then ten seconds of silence, in a loop."""
    said = recording(MANDARIN)
    clip = np.concatenate([said, np.zeros(10 * AUDIO_RATE, np.float32)])
    return write_wav(media_dir / "mandarin48k.wav", resample(clip, AUDIO_RATE, 48_000), 48_000)


async def check(page: Any, state: str, artifacts: Path) -> None:
    """No English in this state, nothing wider than the window, and a screenshot at desktop
    and phone width."""
    assert await english_on(page) == [], f"English on the Chinese page: {state}"
    size = page.viewport_size
    for width, name in ((1280, "desktop"), (390, "phone")):
        await page.set_viewport_size({"width": width, "height": 900})
        await page.wait_for_timeout(200)
        wide = await page.evaluate("document.documentElement.scrollWidth")
        assert wide <= width, f"{state}: the page is {wide} px wide at {width}"
        await page.screenshot(path=str(artifacts / f"zh-{state}-{name}.png"), full_page=True)
    await page.set_viewport_size(size)


async def test_a_chinese_interview_has_no_english_at_any_state(
    start_server: StartServer, launch: Launch, mandarin_microphone: Path, artifacts: Path
) -> None:
    server = await start_server(interview_think_seconds=3.0, transcript=True)
    page, errors = await open_page(
        await launch(microphone=mandarin_microphone),
        server.url + "/?lang=zh",
        viewport={"width": 1280, "height": 900},
    )
    assert await page.locator("html").get_attribute("lang") == "zh"
    assert await page.locator("#language").input_value() == "zh", "a Chinese page asks in Chinese"
    await page.wait_for_function(
        "[...document.querySelectorAll('#role option')].some((o) => o.textContent === '通用问题')",
        timeout=10_000,
    )
    await check(page, "start", artifacts)
    await page.get_by_label("题数", exact=True).select_option("2")
    await page.get_by_role("button", name="开始练习").click()
    begin = page.get_by_role("button", name="开始面试")
    await shows(begin, "the camera check", 30_000)
    await shows(
        page.locator("#setup-verdict[data-ok]:not([data-ok='unknown'])"), "its verdict", 20_000
    )
    await check(page, "setup", artifacts)
    await begin.click()
    await shows(page.locator("#question-number", has_text="第 1 题，共 2 题"), "question 1", 30_000)  # noqa: RUF001
    await page.get_by_role("button", name="如何回答这道题").click()
    await shows(page.locator("#guide h3"), "the guide", 5_000)
    await check(page, "question", artifacts)
    clock = page.locator("#answer-clock")
    await shows(clock.filter(has_text="正在回答"), "answering", 40_000)
    await check(page, "answering", artifacts)
    await shows(clock.locator("xpath=self::*[@data-phase='answered']"), "answer 1 ended", 60_000)
    await shows(page.locator("#answer-feedback p").first, "feedback", 30_000)
    await check(page, "feedback", artifacts)
    await page.get_by_role("button", name="下一题").click()
    await shows(page.locator("#question-number", has_text="第 2 题"), "question 2", 40_000)
    await page.get_by_role("button", name="跳过这道题").click()
    await shows(page.locator("#question-number", has_text="全部完成"), "the end", 30_000)
    await check(page, "finished", artifacts)
    await page.get_by_role("button", name="结束练习").click()
    await shows(page.locator("#ending li").first, "what is known at once", 5_000)
    frame = page.frame_locator("#report-frame")
    await frame.get_by_role("heading", name="你的面试", exact=True).wait_for(timeout=60_000)
    await check(page, "report", artifacts)
    await page.get_by_role("link", name="你在各次练习中的进步").click()
    await page.get_by_role("heading", name="你的进步", exact=True).wait_for()
    await check(page, "progress", artifacts)
    assert errors == []
