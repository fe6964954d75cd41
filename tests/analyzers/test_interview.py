"""Interview practice as pure code: the flow over session time, the content cues of written
answers whose cues can be stated, the question files, and the verdict."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import ValidationError

from analyzers.interview.answers import AnswerFigures, answer_cues
from analyzers.interview.flow import Interview, InterviewTimes
from analyzers.interview.questions import Question, QuestionBank, QuestionFileError
from analyzers.interview.verdict import AnswerResult, InterviewReport, verdict
from signaling.settings import Settings

ASK = Question("q1", "Tell me about a conflict.", 60, ("the situation", "what you did"))
TIMES = InterviewTimes(think=10.0, answer=60.0, end_silence=5.0, min_speech=3.0)


def started(times: InterviewTimes = TIMES, n: int = 2) -> Interview:
    flow = Interview((ASK,) * n, times)
    flow.start(0.0)
    flow.asked(0.0, 3.0)  # the question plays for 3 s
    return flow


def test_an_answer_ends_after_a_long_silence_not_a_thinking_pause() -> None:
    flow = started()
    flow.speech_started(1.0)  # over the question: not an answer
    assert flow.phase == "thinking"
    flow.speech_started(5.0)
    flow.speech_stopped(9.0)
    flow.tick(12.0)  # 3 s of thinking pause: goes on
    assert flow.phase == "answering"
    flow.speech_started(12.0)
    flow.speech_stopped(15.0)
    flow.tick(19.9)
    assert flow.phase == "answering", "4.9 s of silence is not the end"
    flow.tick(20.0)
    events = flow.events()
    assert [e.kind for e in events] == ["question", "answer.started", "answer.ended"]
    answer = events[-1].answer
    assert answer is not None and answer.reason == "silence"
    assert answer.ended_at == 15.0 and answer.duration == 10.0 and answer.speech == 7.0
    assert answer.time_to_first_word == 2.0, "from the end of the question"


def test_a_short_answer_is_not_ended_by_silence_but_by_time() -> None:
    flow = started()
    flow.speech_started(4.0)
    flow.speech_stopped(5.0)  # one second of speech: too little to be an answer
    flow.tick(30.0)
    assert flow.phase == "answering"
    flow.tick(64.0)
    answer = flow.events()[-1].answer
    assert answer is not None and answer.reason == "time"


def test_think_time_runs_out_into_the_answer_clock_and_silence_skips() -> None:
    flow = started()
    flow.tick(13.0)  # 3 s of question + 10 s to think
    assert flow.phase == "answering"
    flow.tick(73.0)
    answer = flow.events()[-1].answer
    assert answer is not None and answer.reason == "skipped" and answer.started_at is None


def test_done_retake_repeat_and_next() -> None:
    flow = started()
    assert flow.repeat(1.0) and flow.phase == "asking"
    flow.asked(1.0, 3.0)
    flow.speech_started(5.0)
    assert flow.done(8.0)
    first = flow.answers[0]
    assert first.reason == "done" and first.tries == 1
    assert flow.retake(9.0)
    flow.asked(9.0, 3.0)
    flow.speech_started(13.0)
    assert flow.done(20.0)
    assert flow.answers[0].tries == 2 and flow.answers[0].duration == 7.0, "the latest is kept"
    assert not flow.done(21.0), "no answer is going on"
    flow.next(22.0)
    assert flow.index == 1 and flow.phase == "asking"
    flow.next(23.0)  # skipped before speaking
    assert flow.answers[1].reason == "skipped" and flow.phase == "finished"
    kinds = [e.kind for e in flow.events()]
    assert kinds.count("question") == 4 and kinds[-1] == "finished"


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
    question = Question("z", "讲一次冲突。", 60, ("当时的情况", "结果如何"))
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


def test_the_verdict_names_its_evidence() -> None:
    answers = [_answer(0, 140, 1, 0.8, STAR_EN), _answer(1, 200, 9, 0.7, VAGUE_EN)]
    found = verdict(answers)
    work = {p.kind: p for p in found.work_on}
    assert set(work) >= {"pace", "fillers"}, found
    assert work["pace"].evidence.question == 1 and work["pace"].evidence.value == 200
    assert "question 2" in work["pace"].text and "120-160" in work["pace"].text
    strengths = {p.kind for p in found.strengths}
    assert "eye_contact" in strengths and len(found.strengths) <= 3
    report = InterviewReport.of(answers)
    again = InterviewReport.from_dict(json.loads(json.dumps(report.to_dict())))
    assert again.to_dict() == report.to_dict()


def test_a_follow_up_is_asked_next_only_while_the_person_has_not_moved_on() -> None:
    flow = started()
    flow.speech_started(4.0)
    flow.done(10.0)
    follow = Question("follow-up-1", "What would you do differently?", 90)
    assert flow.follow_up(0, follow), "asked next: the answer is the latest and done"
    assert len(flow.questions) == 3
    flow.next(11.0)
    assert flow.questions[flow.index] == follow and flow.index == 1
    assert not flow.follow_up(0, follow), "moved on: too late for question 1's follow-up"
    assert len(flow.questions) == 3
