"""The report of an interview as a page: the verdict first, then each question with its
answer; the operator's question text and the person's words are escaped."""

from __future__ import annotations

import pytest

from analyzers.interview.answers import AnswerFigures, answer_cues
from analyzers.interview.questions import KeyPoint, Question
from analyzers.interview.verdict import AnswerResult
from analyzers.session.report import Quality, Report
from analyzers.session.stream import AudioFinal, VideoFinal
from analyzers.session.timeline import AudioPoint
from analyzers.voice.speech_events import Pause
from signaling.pages.report import report_file
from tests.analyzers.test_report import AUDIO_SUMMARY, VIDEO_SUMMARY, live_report, video_point

HOSTILE_QUESTION = 'Why us? <img src=x onerror="alert(1)">'
HOSTILE_ANSWER = (
    "At my last job I fixed 3 bugs in the billing code and shipped the fixes on time "
    "</blockquote><script>alert(2)</script>"
)


def interview_report(recorded: bool = True) -> Report:
    question = Question("q1", HOSTILE_QUESTION, 60, (KeyPoint("the bugs"),))
    figures = AnswerFigures(30.0, 1.5, 60, 200.0, 9, 1, 1.2, 0.8, "happy", 2.4)
    answer = AnswerResult(
        0, question, 2, "silence", 1.0, 2.5, 32.5, HOSTILE_ANSWER, figures,
        answer_cues(HOSTILE_ANSWER, "en", question, 30.0),
    )  # fmt: skip
    video = VideoFinal(VIDEO_SUMMARY, [video_point(0.0, True, True, 1.0)])
    return live_report(
        video,
        None,
        Quality(frames_received=10, frames_analysed=2),
        recording={"bytes": 1000, "state": "complete"} if recorded else None,
        interview=[answer],
    )


def test_the_verdict_and_each_answer_are_shown_escaped() -> None:
    report = interview_report()
    assert Report.from_dict(report.to_dict()).to_dict() == report.to_dict(), "kept as it is"
    page = report_file(report)
    assert page.index("How your interview went") < page.index("Question by question")
    verdict = page[page.index("How your interview went") : page.index("Question by question")]
    assert "Question 1: 200 words a minute is fast for an interview." in verdict, verdict
    assert "Slow down at the key points" in verdict, "each point says what to do"
    answer = page[page.index("Question by question") :]
    assert "Done well:</strong> You covered the key points: the bugs." in answer, answer
    assert "words a minute: 200 (typical: 120-165)" in answer, "the evidence: figure and range"
    assert "<strong>Key points:</strong> the bugs</p>" in answer, "the question's guide, escaped"
    assert "<img src=x" not in page and "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;" in page
    assert "<script>alert(2)" not in page and "&lt;script&gt;alert(2)" in page
    assert "2 tries, the last one kept" in page
    assert 'data-t="2.50">Replay this answer' in page, "a recorded answer can be replayed"


def test_without_a_recording_there_is_no_replay() -> None:
    page = report_file(interview_report(recorded=False))
    assert "Replay this answer" not in page and "Question by question" in page


def test_the_coachs_cues_are_in_the_report_with_their_time() -> None:
    report = interview_report(recorded=False)
    report = Report.from_dict(
        {**report.to_dict(), "nudges": [{"t": 65.2, "kind": "slow_down", "text": "Slow down"}]}
    )
    page = report_file(report)
    assert "What the coach said during the session" in page
    assert "<time>1:05</time> Slow down" in page
    assert report.to_dict()["nudges"] == [{"t": 65.2, "kind": "slow_down", "text": "Slow down"}]


def test_a_skipped_question_says_so_without_empty_figures() -> None:
    """Pins: a skipped question read "Answered at (a dash); ended because skipped", over a table of
    a 0 s answer."""
    report = interview_report(recorded=False)
    answered = report.interview.answers[0] if report.interview else None
    assert answered is not None
    question = Question("q2", "What did you learn last year?", 60, ())
    nothing = AnswerFigures(0.0, None, 0, None, 0, 0, None, None, None, None)
    skipped = AnswerResult(1, question, 1, "skipped", 40.0, None, 41.0, "", nothing, None)
    page = report_file(
        live_report(
            VideoFinal(VIDEO_SUMMARY, [video_point(0.0, True, True, 1.0)]),
            None,
            Quality(),
            interview=[answered, skipped],
        )
    )
    part = page[page.index("What did you learn last year?") :]
    assert "Not answered: you skipped it." in part, part[:400]
    assert "Answered at" not in part and "<table" not in part.split("</article>")[0]


def test_an_interviews_pauses_are_those_inside_its_answers() -> None:
    """Pins: "Pauses: 2, 32 s on average" came from the silences between questions."""
    report = interview_report(recorded=False)
    answered = report.interview.answers[0] if report.interview else None
    assert answered is not None and answered.started_at == 2.5 and answered.ended_at == 32.5
    pauses = [Pause(0.5, 1.8), Pause(10.0, 1.2), Pause(20.0, 0.8), Pause(33.0, 30.0)]
    audio = AudioFinal(AUDIO_SUMMARY, [AudioPoint(0.0, True, -20.0, None)], 0.5, pauses)
    again = live_report(None, audio, Quality(), interview=[answered])
    assert again.summary.pauses is not None
    assert (again.summary.pauses.count, again.summary.pauses.mean_s) == (2, pytest.approx(1.0)), (
        "the two pauses inside the answer (2.5-32.5 s), not the 1.8 s before it or the 30 s "
        f"after it; got {again.summary.pauses}"
    )
