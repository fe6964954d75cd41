"""Every page and state in Chinese has no English word outside data (names, numbers, what was
said, code), and every message a person reads has its translation: the catalogs are complete,
current and keep their ``{fields}``; the API's error ``message`` follows the request's locale
while its ``code`` stays; the page's language choice is kept."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from html.parser import HTMLParser
from typing import Any

import aiohttp
import pytest

import locales
from analyzers.interview.answers import AnswerFigures, answer_cues
from analyzers.interview.questions import QuestionBank
from analyzers.interview.verdict import AnswerResult
from analyzers.session.progress import compare, headline_figures
from analyzers.session.report import NudgeRecord, Quality, Report, build_report
from analyzers.session.stream import AudioFinal, VideoFinal
from analyzers.session.timeline import AudioPoint
from analyzers.video.posture import PostureSummary
from analyzers.video.summary import FramingSummary
from analyzers.voice.speech_events import Pause
from analyzers.words.language import Utterance, Word
from locales.update import update
from signaling.pages import progress as progress_page
from signaling.pages import render
from signaling.pages.report import TEMPLATE, compared_rows, context, report_file
from tests.analyzers.test_report import AUDIO_SUMMARY, VIDEO_SUMMARY, video_point
from tests.conftest import RunningServer

ALLOWED = {"Interview", "Lens", "Hz", "dB", "ms", "MB", "JSON", "UTC"} | {
    "MP4",
    "WebM",
    "MOV",
    "M4A",
    "WAV",
}
"""Latin words a Chinese page may show: the product's name, units and file formats, written
the same in Chinese."""
DATA = {"script", "style", "code", "q", "blockquote", "time"}
"""Elements whose text is data: what was said, code, times."""
ENGLISH = re.compile(r"[A-Za-z]{2,}")


class VisibleText(HTMLParser):
    """The words of a page a person reads: text and the attributes read aloud, leaving out
    data, the transcript and anything marked as another language."""

    def __init__(self) -> None:
        super().__init__()
        self.words: list[str] = []
        self._skipping: list[str] = []
        self._stack: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        lang = found.get("lang")
        classes = (found.get("class") or "").split()
        void = tag in {"meta", "link", "input", "br", "img", "source", "rect", "circle", "line"}
        other = (lang is not None and not lang.startswith("zh")) or "transcript" in classes
        if not void:
            self._stack.append(tag)
            if tag in DATA or other or self._skipping:
                self._skipping.append(tag)
        if self._skipping and not void:
            return
        if other:
            return
        for name in ("aria-label", "title", "alt", "placeholder"):
            if found.get(name):
                self.words.append(str(found[name]))

    def handle_endtag(self, tag: str) -> None:
        if tag in self._stack:
            while self._stack:
                closed = self._stack.pop()
                if self._skipping and self._skipping[-1] == closed:
                    self._skipping.pop()
                if closed == tag:
                    break

    def handle_data(self, data: str) -> None:
        if not self._skipping and data.strip():
            self.words.append(data)


def english_words(page: str) -> list[str]:
    """Latin words on ``page`` outside data, with their context."""
    reader = VisibleText()
    reader.feed(page)
    found = []
    for text in reader.words:
        for word in ENGLISH.findall(text):
            if word not in ALLOWED:
                found.append(f"{word!r} in {text.strip()[:80]!r}")
    return found


def chinese_question(index: int) -> Any:
    return QuestionBank.load().sets["zh", "general"].questions[index]


def chinese_interview_report(source: str = "live") -> Report:
    """A Chinese interview with everything a report can show: each card, an answered question
    with advice and a skipped one, the coach's tips, what was said with fillers and hedges."""
    said = "嗯我在上一家公司负责支付系统我把延迟从两秒降到了零点五秒我觉得团队很满意"
    words = tuple(
        Word(ch, 2.0 + i * 0.2, 2.2 + i * 0.2, 0.9, "filled" if ch == "嗯" else None)
        for i, ch in enumerate(said)
    )
    transcript = [Utterance(2.0, 2.0 + len(said) * 0.2, said, "zh", words)]
    first, second = chinese_question(0), chinese_question(1)
    figures = AnswerFigures(30.0, 1.5, len(said), 260.0, 9, 1, 1.2, 0.8, "happy", 2.4)
    answered = AnswerResult(
        0, first, 1, "complete", 1.0, 2.0, 32.0, said, figures,
        answer_cues(said, "zh", first, 30.0), language="zh",
    )  # fmt: skip
    skipped = AnswerResult(
        1, second, 1, "skipped", 33.0, None, None, "", AnswerFigures(0.0, None, 0, None, 0, 0, None,
        None, None, None), None, language="zh",
    )  # fmt: skip
    framing = FramingSummary({"backlit": 0.4, "too_far": 0.2}, 0.4, 0.6, 0.2)
    posture = PostureSummary(40, 3.5, 0.1, 0.2, 0.05, 1)
    video = VideoFinal(
        replace(VIDEO_SUMMARY, framing=framing, posture=posture),
        [video_point(0.0, True, True, 1.0), video_point(30.0, True, False, 3.0)],
    )
    audio = AudioFinal(
        AUDIO_SUMMARY,
        [AudioPoint(0.0, True, -20.0, 120.0), AudioPoint(30.0, False, -50.0, None)],
        0.5,
        pauses=[Pause(5.0, 3.0)],
    )
    return build_report(
        "12345678" * 4,  # hex, written in digits: no Latin letters to mistake for English
        source=source,
        created_at=100.0,
        started_at=101.0,
        ended_at=140.0,
        end_reason="ended",
        video=video,
        audio=audio,
        quality=Quality(frames_received=300, frames_analysed=200, transcript_seconds_missing=2.0),
        transcript=transcript,
        language="cmn",
        recording={"bytes": 1000, "state": "complete"},
        interview=[answered, skipped] if source == "live" else None,
        nudges=[NudgeRecord(5.0, "speak_up", "Speak up")] if source == "live" else (),
    )


def test_the_catalogs_are_complete_current_and_keep_their_fields() -> None:
    """Fails on a message without a translation in any language, on a catalog behind the code
    (``make catalogs``) and on a translation that drops or renames a ``{field}``."""
    assert update(check=True) == []


def test_a_chinese_interview_report_has_no_english() -> None:
    report = chinese_interview_report()
    page = report_file(report)  # a Chinese interview's report is in Chinese by itself
    assert '<html lang="zh">' in page
    assert english_words(page) == []
    assert "每分钟 260 个字" in page, "pace in characters a minute, not words"
    assert "words a minute" not in page and "每分钟 260 个词" not in page


def test_the_served_report_page_with_a_comparison_has_no_english() -> None:
    report = chinese_interview_report()
    earlier = headline_figures(report.summary, "cmn")
    rows = compared_rows(compare(earlier, [earlier, earlier]))
    with locales.activate("zh"):
        page = (
            render.environment()
            .get_template(TEMPLATE)
            .render({**context(report, rows), "retention_days": 30})
        )
    assert english_words(page) == []
    assert "差不多" in page, "the comparison in words"


def test_an_upload_report_without_questions_has_no_english() -> None:
    report = chinese_interview_report("upload")
    assert english_words(report_file(report, "zh")) == []


def test_the_progress_page_has_no_english_and_keeps_pace_units_apart() -> None:
    chinese = chinese_interview_report()
    english = replace(chinese, language="en")
    sessions = [
        {
            "session_id": f"{i:032x}",
            "created_at": 1_700_000_000.0 + i * 86_400,
            "duration": 300.0,
            "figures": headline_figures(report.summary, report.language),
        }
        for i, report in enumerate([english, chinese, chinese])
    ]
    with locales.activate("zh"):
        page = (
            render.environment()
            .get_template(progress_page.TEMPLATE)
            .render(progress_page.context({"subject": "p1", "sessions": sessions}))
        )
    assert english_words(page) == []
    pace = [
        figure for figure in re.findall(r'class="chart-title">([^<]+)<', page) if "语速" in figure
    ]
    assert pace == ["语速，每分钟词数", "中文语速，每分钟字数"], (  # noqa: RUF001
        f"words and characters a minute on separate charts: {pace}"
    )


def test_the_error_page_and_api_errors_follow_the_locale() -> None:
    with locales.activate("zh"):
        page = render.environment().get_template("error.html").render(
            {"title": locales._("Not found"), "message": locales._("no session {session_id}",
             session_id="0123"), "status": 404, "code": "not_found", "inline_css": None}
        )  # fmt: skip
    assert english_words(page.replace("not_found", "")) == [], "only the stable code is Latin"


async def test_the_demo_page_and_api_messages_in_chinese(server: RunningServer) -> None:
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{server.url}/?lang=zh") as response:
            page = await response.text()
            kept = response.cookies.get("lens_lang")
        assert '<html lang="zh">' in page
        assert english_words(page) == [], "the demo page before the scripts run"
        assert kept is not None and kept.value == "zh", "the choice is kept"
        catalog = re.search(r'id="page-catalog">(.*?)</script>', page, re.S)
        assert catalog, "the page scripts' catalog is in the page"
        assert json.loads(catalog.group(1))["Question {n} of {of}"] == "第 {n} 题，共 {of} 题"  # noqa: RUF001
        async with http.get(f"{server.url}/", headers={"Accept-Language": "zh-CN,zh;q=0.9"}) as r:
            assert '<html lang="zh">' in await r.text(), "Accept-Language when nothing was chosen"
        async with http.get(f"{server.url}/", cookies={"lens_lang": "en"},
                            headers={"Accept-Language": "zh-CN"}) as r:  # fmt: skip
            assert '<html lang="en">' in await r.text(), "the kept choice before Accept-Language"
        for headers, expected in (({"Accept-Language": "zh"}, "请求体必须是 JSON 对象"),
                                  ({}, "the body must be a JSON object")):  # fmt: skip
            async with http.post(f"{server.url}/api/sessions", data=b"[]", headers=headers) as r:
                error = (await r.json())["error"]
            assert r.status == 400 and error == {"code": "invalid_request", "message": expected}


@pytest.mark.parametrize("locale", locales.LOCALES)
def test_every_nudge_and_setup_advice_reads_in_each_language(locale: str) -> None:
    from analyzers.session.coach import RULES
    from analyzers.video.framing import ADVICE

    words = locales.translator(locale)
    for text in [rule.text for rule in RULES] + list(ADVICE.values()):
        shown = words(text)
        if locale == "zh":
            assert english_words(shown) == [], f"{text!r} is {shown!r} in Chinese"


@pytest.mark.parametrize(
    ("locale", "said", "why"),
    [
        ("en", "not measured", "your face is too small in the picture (move closer)"),
        ("zh", "未测量", "画面中你的脸太小（请靠近一些）"),  # noqa: RUF001
    ],
)
def test_blinks_that_could_not_be_counted_say_so_and_why(locale: str, said: str, why: str) -> None:
    """A wrong count is worse than none: where the eyes were too small to see a blink, the
    report's card says it was not measured and what to do, never a number."""
    report = chinese_interview_report()
    summary = replace(report.summary, blinks_per_min=None, blinks_not_measured="face_too_small")
    page = report_file(replace(report, summary=summary), locale)
    card = page[page.index(locales.translator(locale)("Blinks")) :][:400]
    assert said in card and why in card, f"the blinks card: {card!r}"
    if locale == "zh":
        assert english_words(page) == []
