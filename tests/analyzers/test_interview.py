"""Interview practice as pure code: the flow over session time, the content cues of written
answers whose cues can be stated, the question files, and the verdict."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
from pydantic import ValidationError

from analyzers.interview.answers import AnswerFigures, answer_cues
from analyzers.interview.flow import Control, Interview, InterviewTimes
from analyzers.interview.questions import KeyPoint, Question, QuestionBank, QuestionFileError
from analyzers.interview.verdict import AnswerResult, InterviewReport, verdict
from analyzers.voice.speech_events import SpeechStarted, SpeechStopped
from analyzers.voice.turn import TurnPrediction
from analyzers.voice.windows import AudioWindowResult
from signaling.settings import Settings

ASK = Question(
    "q1", "Tell me about a conflict.", 60, (KeyPoint("the situation"), KeyPoint("what you did"))
)
TIMES = InterviewTimes(think=10.0, answer=60.0, end_silence=5.0, complete_silence=1.0)


def started(times: InterviewTimes = TIMES, n: int = 2) -> Interview:
    flow = Interview((ASK,) * n, times)
    flow.start(0.0)
    flow.asked(0.0, 3.0)  # the question plays for 3 s
    flow.tick(3.0)
    return flow


def judged(t: float, probability: float) -> TurnPrediction:
    """The end-of-turn model's judgement of the silence that began at ``t``."""
    return TurnPrediction(t, t + 0.4, probability, probability >= 0.5)


def at(flow: Interview, index: int | None, *controls: Control) -> list[bool]:
    return [flow.control(c, index) for c in controls]


def test_an_answer_the_model_judges_complete_ends_a_second_into_the_silence() -> None:
    """A one-sentence answer (2.2 s) ends like any other: no minimum speech length."""
    flow = started()
    flow.speech_started(4.0)
    flow.speech_stopped(6.2)
    flow.turn(judged(6.2, 0.9))
    flow.tick(7.1)
    assert flow.phase == "answering", "0.9 s of silence: not yet"
    flow.tick(7.2)
    answer = flow.answers[0]
    assert (answer.reason, answer.ended_at, answer.duration) == ("complete", 6.2, 2.2)
    assert answer.time_to_first_word == 1.0, "from the end of the question"


def test_a_thought_cut_mid_sentence_waits_for_the_silence_fallback() -> None:
    flow = started()
    flow.speech_started(4.0)
    flow.speech_stopped(9.0)
    flow.turn(judged(9.0, 0.05))  # "and then I..."
    flow.tick(12.0)
    assert flow.phase == "answering", "a 3 s pause after an unfinished thought goes on"
    flow.speech_started(12.0)
    flow.speech_stopped(15.0)
    flow.tick(19.9)
    assert flow.phase == "answering", "4.9 s of silence is not the end"
    flow.tick(20.0)
    kinds = [e.kind for e in flow.events() if e.kind != "phase"]
    assert kinds == ["question", "answer.started", "answer.ended"]
    answer = flow.answers[0]
    assert answer.reason == "silence" and answer.ended_at == 15.0 and answer.speech == 8.0


def test_speech_after_a_complete_judgement_keeps_the_answer_going() -> None:
    flow = started()
    flow.speech_started(4.0)
    flow.speech_stopped(6.0)
    flow.turn(judged(6.0, 0.9))
    flow.speech_started(6.8)  # "...and one more thing"
    flow.tick(7.5)
    assert flow.phase == "answering"
    flow.speech_stopped(9.0)
    flow.turn(judged(8.0, 0.9))  # a judgement of an older silence is ignored
    flow.tick(10.5)
    assert flow.phase == "answering"


def test_every_phase_is_announced_with_its_deadline() -> None:
    flow = started()
    phases = [(e.phase, e.until) for e in flow.events() if e.kind == "phase"]
    assert phases == [("asking", None), ("asking", 3.0), ("thinking", 13.0)]
    flow.tick(13.0)  # the think time runs out: the answer clock runs
    phases = [(e.phase, e.until) for e in flow.events() if e.kind == "phase"]
    assert phases == [("answering", 73.0)], "60 s answer time from the end of thinking"
    flow.speech_started(20.0)  # the first word after the think time still starts the answer
    flow.speech_stopped(22.0)
    flow.tick(27.0)
    answer = flow.answers[0]
    assert answer.started_at == 20.0 and answer.reason == "silence"


def test_think_time_and_answer_time_run_out_into_a_skip() -> None:
    flow = started()
    flow.tick(13.0)
    assert flow.phase == "answering"
    flow.tick(73.0)
    answer = flow.answers[0]
    assert answer.reason == "skipped" and answer.started_at is None


def test_the_next_question_comes_by_itself_after_the_feedback() -> None:
    flow = started(replace(TIMES, auto_advance=4.0))
    flow.speech_started(4.0)
    flow.speech_stopped(6.0)
    flow.turn(judged(6.0, 0.9))
    flow.tick(7.0)
    assert flow.phase == "answered" and flow.until is None, "waits for the feedback"
    flow.tick(30.0)
    assert flow.phase == "answered"
    flow.feedback_given(31.0, 0)
    assert flow.until == 35.0
    flow.tick(35.0)
    assert flow.index == 1 and flow.phase == "asking"
    question = [e for e in flow.events() if e.kind == "question"][-1]
    assert question.acknowledge, "it says a word of thanks before moving on"


def test_controls_name_their_question_and_stale_ones_are_refused() -> None:
    """Two question.next 150 ms apart once skipped question 2 as soon as it appeared."""
    flow = started(n=3)
    assert at(flow, 0, "question.next", "question.next") == [True, False]
    assert flow.index == 1 and flow.answers[0].reason == "skipped"
    assert 1 not in flow.answers, "question 2 was not skipped by the repeated click"
    assert at(flow, 1, "question.repeat") == [True]
    assert at(flow, 1, "answer.done") == [False], "nothing is being answered while asking"


def test_tries_count_the_attempts_and_times_stay_in_order() -> None:
    """Controls at 19 a second once left tries 120 for 102 attempts, and an asked_at after the
    answer's end."""
    flow = started(n=2)
    attempts = 0
    for step in range(200):
        t = 3.0 + step * 0.05
        flow.tick(t)
        action: Control = ("answer.retake", "question.repeat", "answer.done")[step % 3]
        if flow.control(action, 0) and action == "answer.retake":
            attempts += 1
        if step % 7 == 0:
            flow.asked(t, 1.0)
        if step % 5 == 0:
            flow.speech_started(t + 0.01)
    flow.control("answer.done", 0)
    flow.control("question.next", 0)
    flow.control("question.next", 1)
    assert flow.phase == "finished"
    answer = flow.answers[0]
    assert answer.tries == attempts + 1
    for a in flow.answers.values():
        assert a.ended_at is not None
        assert a.asked_at <= (a.started_at if a.started_at is not None else a.asked_at)
        assert (a.started_at if a.started_at is not None else a.asked_at) <= a.ended_at


def test_typed_results_drive_the_flow() -> None:
    flow = started()
    flow.observe(SpeechStarted(4.0))
    flow.observe(SpeechStopped(5.0, 1.0))
    flow.observe(judged(5.0, 0.8))
    flow.observe(AudioWindowResult(5.8, 0.2, False, 0.0, -60.0, None, None, None))
    assert flow.answers[0].reason == "complete"


STAR_EN = (
    "At my last job our build took 40 minutes. I was responsible for the test suite. So I "
    "split the tests across eight machines with Buildkite, and as a result we reduced it to "
    "six minutes."
)
VAGUE_EN = "We just worked really hard on it together and we did our best and it was fine."
STAR_ZH = "当时我们的构建要40分钟。我负责测试。于是我把测试分到8台机器上, 结果减少到6分钟。"


def test_a_star_answer_shows_every_cue() -> None:
    cues = answer_cues(STAR_EN, "en", ASK, 45.0)
    assert cues.star == {"situation": True, "task": True, "action": True, "result": True}
    assert cues.numbers == 3, "40, eight, six"
    assert cues.named_things == 1, "Buildkite (I left out)"
    assert (cues.i_words, cues.we_words) == (3, 2), "my, I, I; our, we"
    assert cues.length == "ok" and cues.length_ratio == 0.75
    assert cues.covered == [] and cues.missed == ["the situation", "what you did"]


def test_a_vague_answer_shows_none() -> None:
    cues = answer_cues(VAGUE_EN, "en", ASK, 10.0)
    assert not any(cues.star.values()) and cues.numbers == 0 and cues.named_things == 0
    assert cues.ownership == 0.0 and cues.length == "short"


def test_coverage_counts_a_point_whose_words_are_said() -> None:
    cues = answer_cues("The situation was tense, and what I did was listen.", "en", ASK, 30)
    assert cues.covered == ["the situation"], "'what you did' has no content word of 4+"


def test_a_chinese_star_answer() -> None:
    question = Question("z", "讲一次冲突。", 60, (KeyPoint("当时的情况"), KeyPoint("结果如何")))
    cues = answer_cues(STAR_ZH, "cmn", question, 20.0)
    assert cues.star == {"situation": True, "task": True, "action": True, "result": True}
    assert cues.numbers == 3 and cues.we_words == 1 and cues.i_words == 2
    assert cues.covered == ["当时的情况", "结果如何"] and cues.length == "short"


def test_the_shipped_sets() -> None:
    bank = QuestionBank.load()
    for language in ("en", "zh"):
        roles = dict(bank.roles(language))
        assert {
            "general",
            "software_engineer",
            "product_manager",
            "sales",
            "customer_support",
        } <= set(roles)
        count = sum(len(bank.sets[(language, r)].questions) for r in roles)
        assert count >= 25, f"{language}: {count} questions"
    picked = bank.pick("en", "sales", 4, "seed")
    assert picked[0].id == "gen-about" and len(picked) == 4
    assert picked == bank.pick("en", "sales", 4, "seed"), "the same session, the same questions"
    assert all(q.id.startswith("sales-") for q in picked[1:4])


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("{nope", "not a readable JSON file"),
        ({"language": "fr", "sets": []}, ".language: one of ['en', 'zh']"),
        ({"language": "en", "sets": [{"role": "a b", "questions": ["x"]}]}, ".sets[0].role"),
        ({"language": "en", "sets": [{"role": "r", "questions": []}]}, ".sets[0].questions"),
        (
            {"language": "en", "sets": [{"role": "r", "questions": [{"text": "x", "seconds": 5}]}]},
            ".sets[0].questions[0].seconds",
        ),
        (
            {"language": "en", "sets": [{"role": "r", "questions": [{"text": "x", "oops": 1}]}]},
            "unknown field(s) ['oops']",
        ),
    ],
)
def test_a_bad_question_file_stops_the_start_saying_where(
    tmp_path: Path, content: object, expected: str
) -> None:
    path = tmp_path / "mine.json"
    path.write_text(content if isinstance(content, str) else json.dumps(content))
    with pytest.raises(QuestionFileError) as caught:
        QuestionBank.load(tmp_path)
    assert str(path) in str(caught.value) and expected in str(caught.value), str(caught.value)
    with pytest.raises(ValidationError) as refused:
        Settings(questions_dir=tmp_path)
    assert expected in str(refused.value), str(refused.value)


def test_an_operators_set_replaces_the_shipped_one(tmp_path: Path) -> None:
    mine = {"language": "en", "sets": [{"role": "sales", "questions": ["Sell me this pen."]}]}
    (tmp_path / "sales.json").write_text(json.dumps(mine))
    bank = QuestionBank.load(tmp_path)
    assert [q.text for q in bank.sets[("en", "sales")].questions] == ["Sell me this pen."]


def _answer(index: int, wpm: float, fillers: int, eye: float, text: str) -> AnswerResult:
    figures = AnswerFigures(60.0, 2.0, int(wpm), wpm, fillers, 0, 1.0, eye, "neutral", 2.5)
    return AnswerResult(
        index, ASK, 1, "silence", 0.0, 10.0 + index * 70, 70.0 + index * 70, text, figures,
        answer_cues(text, "en", ASK, 60.0),
    )  # fmt: skip


def test_the_verdict_names_its_evidence_and_what_to_do() -> None:
    answers = [_answer(0, 140, 1, 0.8, STAR_EN), _answer(1, 200, 9, 0.7, VAGUE_EN)]
    found = verdict(answers)
    work = {p.kind: p for p in found.work_on}
    assert list(work) == ["coverage", "structure.none", "fillers"], (
        "what was said first (the point missed in both answers leads), then at most one "
        f"more of content before delivery; got {list(work)}"
    )
    assert work["coverage"].answers == [0, 1] and work["coverage"].text.startswith(
        "Questions 1 and 2: You did not cover"
    ), work["coverage"]
    assert work["fillers"].evidence.question == 1 and work["fillers"].evidence.value == 9.0
    assert work["fillers"].evidence.typical == "under 3" and work["fillers"].do
    strengths = {p.kind for p in found.strengths}
    assert {"first_word.quick", "eye_contact.good"} <= strengths, strengths
    assert len(found.strengths) <= 3 and "coverage.all" not in strengths
    report = InterviewReport.of(answers)
    assert all(a.advice is not None for a in report.answers), "each answer gets its advice"
    again = InterviewReport.from_dict(json.loads(json.dumps(report.to_dict())))
    assert again.to_dict() == report.to_dict()


def test_a_follow_up_is_asked_next_only_while_the_person_has_not_moved_on() -> None:
    flow = started()
    flow.speech_started(4.0)
    flow.tick(10.0)
    flow.control("answer.done")
    follow = Question("follow-up-1", "What would you do differently?", 90)
    assert flow.follow_up(0, follow), "asked next: the answer is the latest and done"
    assert len(flow.questions) == 3
    flow.control("question.next")
    assert flow.questions[flow.index] == follow and flow.index == 1
    assert not flow.follow_up(0, follow), "moved on: too late for question 1's follow-up"
    assert len(flow.questions) == 3
