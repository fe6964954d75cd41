"""Advice, not numbers: the guides of the shipped questions, the content cues against a careful
reader's judgement of written answers, the advice each answer gets, and the checks a language
model's advice must pass before it replaces the rules'."""

from __future__ import annotations

from dataclasses import replace

import pytest

from analyzers.interview.advice import Advice, Evidence, Heard, Tip, advise, contradiction, tips
from analyzers.interview.answers import AnswerFigures, answer_cues
from analyzers.interview.questions import Question, QuestionBank, QuestionFileError, question
from analyzers.interview.recorded import find_questions, recorded_answers
from analyzers.words.language import Utterance, Word
from bench.advice_agreement import CUES, agreement, judged
from webrtc.runtime.answer_review import parse_review

TARGET = 0.85
"""Agreement per cue with the judged answers (the issue's target)."""
BANK = QuestionBank.load()


def shipped(language: str, qid: str) -> Question:
    return next(
        q for (lang, _), s in BANK.sets.items() if lang == language for q in s.questions
        if q.id == qid
    )  # fmt: skip


def test_every_shipped_question_has_a_guide() -> None:
    for (language, role), found in BANK.sets.items():
        for q in found.questions:
            where = f"{language}/{role}/{q.id}"
            assert q.story is not None, f"{where}: says whether it asks for a story"
            assert q.looking_for, f"{where}: what the interviewer looks for"
            assert 3 <= len(q.outline) <= 6, f"{where}: an outline of 3-6 steps, {q.outline}"
            assert 2 <= len(q.mistakes) <= 3, f"{where}: 2-3 common mistakes, {q.mistakes}"
            assert q.covers and all(k.words for k in q.covers), f"{where}: key points with words"
    english = {q.id for (lang, _), s in BANK.sets.items() if lang == "en" for q in s.questions}
    chinese = {q.id for (lang, _), s in BANK.sets.items() if lang == "zh" for q in s.questions}
    assert english == chinese, "the same questions in both languages"


def test_the_judged_set_is_broad_enough() -> None:
    answers = judged()
    assert len(answers) >= 60, len(answers)
    assert len({(a.language, a.question.id) for a in answers}) >= 10
    for language in ("en", "zh"):
        kinds = {a.kind for a in answers if a.language == language}
        assert kinds == {"good", "weak", "off_topic"}, (language, kinds)


@pytest.mark.parametrize("language", ["en", "zh"])
def test_the_cues_agree_with_a_careful_reader(language: str) -> None:
    tallies, wrong = agreement(a for a in judged() if a.language == language)
    low = {cue: str(t) for cue, t in tallies.items() if t.share < TARGET}
    assert not low, (
        f"expected every cue to agree with the judgement on {TARGET:.0%} or more of the "
        f"{language} answers; below it: {low}. Disagreements:\n" + "\n".join(wrong)
    )
    assert set(tallies) == set(CUES)


TEXTBOOK = (
    "When I was at my last job, our checkout page kept timing out. I was responsible for the "
    "payments service. So, I added tracing to every call and I fixed a lock in the database "
    "client. As a result, timeouts dropped by 90 percent."
)


def figures(seconds: float, words: int, **overrides: object) -> AnswerFigures:
    values: dict[str, object] = {
        "duration": seconds, "time_to_first_word": 2.0, "words": words,
        "words_per_min": 140.0, "fillers": 0, "hedges": 0, "longest_pause": 1.0,
        "eye_contact": 0.6, "expression": "neutral", "pitch_variation": 2.5,
    }  # fmt: skip
    values.update(overrides)
    return AnswerFigures(**values)  # type: ignore[arg-type]


def heard(question: Question, text: str, seconds: float, **overrides: object) -> Heard:
    language = "zh" if any("\u4e00" <= ch <= "\u9fff" for ch in text) else "en"
    words = len(text) if language == "zh" else len(text.split())
    cues = answer_cues(text, language, question, seconds)
    return Heard(0, question, 1.0, figures(seconds, words, **overrides), cues, language)


def test_a_textbook_story_is_praised_for_its_shape_and_quoted() -> None:
    """Pins: "So, I" and "As a result" heard as a story of two parts ("situation, task")."""
    question = shipped("en", "swe-bug")
    advice = advise(heard(question, TEXTBOOK, 60.0))
    assert advice.good is not None and advice.good.kind == "structure.complete", advice
    assert advice.good.evidence.said and "dropped by 90" in advice.good.evidence.said
    assert not any(t.kind.startswith("structure") for t in advice.change), advice.change
    missed = [t for t in advice.change if t.kind == "coverage"]
    assert missed and "how you prevented it again" in missed[0].text, advice.change
    assert missed[0].do.startswith("Add a sentence on"), missed[0]


def test_a_question_that_asks_for_no_story_gets_no_story_advice() -> None:
    """Pins: "Tell me about yourself" was told "Story parts heard: none"."""
    question = shipped("en", "gen-about")
    text = (
        "I'm a backend engineer at a logistics company. I cut our nightly planning job from six "
        "hours to forty minutes. I'm looking for a role closer to the product, and your team's "
        "developer tools are the problems I want to work on next."
    )
    advice = advise(heard(question, text, 60.0))
    kinds = [t.kind for t in advice.change] + ([advice.good.kind] if advice.good else [])
    assert not any(k.startswith(("structure", "specific", "ownership")) for k in kinds), kinds
    assert advice.good is not None and advice.good.kind == "coverage.all", advice


def test_a_missed_key_point_is_advice_with_its_name_and_what_to_do() -> None:
    question = shipped("en", "gen-about")
    text = (
        "I'm a marketing coordinator at a travel company and I run our social media and email "
        "campaigns. Last year I grew our newsletter from two thousand to nine thousand readers."
    )
    advice = advise(heard(question, text, 50.0))
    first = advice.change[0]
    assert first.kind == "coverage" and "why this job now" in first.text, advice.change
    assert first.do == "Add a sentence on why this job now.", first
    assert first.evidence.value == "2/3" and first.evidence.typical, first.evidence


def test_length_is_judged_against_the_questions_own_recommendation() -> None:
    question = shipped("en", "gen-five-years")  # 60 s suggested
    text = (
        "In five years I want to be the person my team trusts with its hardest data problems, "
        "leading projects end to end. I want to grow in statistics and in mentoring, and this "
        "role is where that starts."
    )
    short = advise(heard(question, text, 20.0))
    assert any(t.kind == "length.short" and "about 60 s" in t.text for t in short.change), short
    fitting = advise(heard(question, text, 55.0))
    assert not any(t.kind.startswith("length") for t in fitting.change), fitting


def test_an_off_topic_answer_is_told_what_it_missed_first() -> None:
    question = shipped("en", "cs-angry")
    text = (
        "I have five years of experience in customer service, in retail and then in a call "
        "centre. I'm good with people and I speak three languages fluently."
    )
    advice = advise(heard(question, text, 40.0))
    assert [t.kind for t in advice.change][:2] == ["coverage", "structure.none"], advice.change


def test_chinese_advice_is_in_chinese_and_pace_is_judged_in_characters() -> None:
    """Mandarin pace is characters a minute against Mandarin's range (150-200, carried over from
    English's by the languages' measured syllable rates): 190 is comfortable, where English's
    words-a-minute thresholds would call it fast; 300 is fast."""
    question = shipped("zh", "gen-conflict")
    text = "我觉得和同事有分歧很正常, 大家多沟通就好了。我一般会尊重别人的意见。"
    advice = advise(heard(question, text, 20.0, words_per_min=260.0))
    assert advice.change and all("\u4e00" <= t.text[0] <= "\u9fff" or t.text[0] in "你这故"
                                 for t in advice.change), advice.change  # fmt: skip
    long = "我" * 120
    good, _ = tips(heard(question, long, 40.0, words_per_min=190.0))
    assert "pace.ok" in [t.kind for t in good], "190 characters a minute is comfortable"
    _, change = tips(heard(question, long, 40.0, words_per_min=300.0))
    fast = next(t for t in change if t.kind == "pace.fast")
    assert fast.text == "每分钟 300 个字，对面试来说偏快。", fast.text  # noqa: RUF001
    assert fast.evidence.typical == "150-200", fast.evidence


def test_many_softening_words_are_advice_in_the_answers_language() -> None:
    """我觉得, 可能, 应该 are hedges as "I think" and "maybe" are: past three in an answer and four
    a minute, the person is told to say it plainly; one or two are natural."""
    question = shipped("zh", "gen-conflict")
    text = "我觉得可能是沟通的问题，应该多聊聊，我觉得大概就好了。" * 3  # noqa: RUF001
    unsure = tips(heard(question, text, 40.0, hedges=6))[1]
    hedged = next((t for t in unsure if t.kind == "hedges"), None)
    assert hedged is not None and hedged.text.startswith("你有 6 次把话说得含糊"), unsure
    assert "直接说出" in hedged.do
    natural = tips(heard(question, text, 40.0, hedges=2))[1]
    assert not any(t.kind == "hedges" for t in natural), natural
    english = tips(heard(shipped("en", "cs-angry"), "I think maybe I could. " * 8, 40.0, hedges=5))
    assert any(t.text.startswith("You softened what you said 5 times") for t in english[1])


def tip(text: str, do: str = "", said: str | None = None) -> Tip:
    return Tip("model.change", text, do, Evidence(0, 1.0, "the coach's reading", None, "", said))


@pytest.mark.parametrize(
    ("change", "overrides", "why"),
    [
        (tip("You spoke too fast.", "Slow down."), {"words_per_min": 140.0}, "pace"),
        (tip("Too many um and uh."), {"fillers": 0}, "fillers"),
        (tip("You gave no numbers."), {}, "numbers"),
        (tip("Cut 40 % of the answer."), {}, "not measured (40)"),
    ],
)
def test_model_advice_that_contradicts_a_measurement_is_refused(
    change: Tip, overrides: dict[str, object], why: str
) -> None:
    question = shipped("en", "swe-bug")
    h = heard(question, TEXTBOOK, 60.0, **overrides)
    reason = contradiction(Advice(None, [change]), h, TEXTBOOK + " length 60 s")
    assert reason is not None and why in reason, reason


def test_model_advice_that_holds_up_is_kept() -> None:
    question = shipped("en", "swe-bug")
    h = heard(question, TEXTBOOK, 60.0)
    evidence = Evidence(0, 1.0, "the coach's reading", None, "", "dropped by 90 percent")
    good = Tip("model.good", "A clear result: timeouts dropped by 90 percent.", "", evidence)
    change = tip("Say how you stopped it coming back.", "Add the test or alert you added.")
    assert contradiction(Advice(good, [change]), h, TEXTBOOK) is None


def test_a_reply_in_the_form_is_read_as_advice() -> None:
    reply = (
        'Good: You named the root cause || "a lock in the database client"\n'
        "Change: You did not say how you prevent it now || no test or alert mentioned || "
        "Add one sentence on the test you wrote.\n"
        "Change: <b>bold</b> claims || - || Be specific.\n"
        "Change: a third change is dropped || - || -\n"
        "Follow-up: How would you find it faster next time?"
    )
    review = parse_review(reply, 1.0, index=2, t=30.0)
    assert review is not None and review.advice is not None
    assert review.advice.good is not None and review.advice.good.evidence.question == 2
    assert len(review.advice.change) == 2, "at most two to change"
    assert review.follow_up == "How would you find it faster next time?"


@pytest.mark.timeout(10)
def test_a_hostile_reply_is_read_in_linear_time() -> None:
    """Pins: a reply of one long line after "Feedback:" froze the event loop (a pattern that
    backtracks); the reader is line by line now."""
    hostile = "Feedback: " + "a " * 200_000 + "\nfollow-up " * 5_000
    review = parse_review(hostile, 1.0)
    assert review is not None and len(review.feedback) <= 600


def said(start: float, text: str) -> Utterance:
    return Utterance(start, start + len(text.split()) * 0.4, text, "en", ())


def test_a_recordings_questions_are_found_in_what_was_said() -> None:
    talk = [
        said(0.0, "Thanks for coming in today."),
        said(3.0, "So, tell me about a time you disagreed with a colleague."),
        said(
            8.0,
            "At my last job a designer and I disagreed about the sign-up flow and we ran a test.",
        ),
        said(20.0, "Why do you want this job?"),
        said(23.0, "I like the work and your product helps small clinics, which matters to me."),
        said(30.0, "Great."),
    ]
    given = [Question("q1", "Describe a time you disagreed with a colleague. What happened?"),
             Question("q2", "Why do you want this job?")]  # fmt: skip
    found = find_questions(talk, "en", given)
    assert [(a.question.id, a.start) for a in found] == [("q1", 8.0), ("q2", 23.0)], found
    heard = find_questions(talk, "en", known=[shipped("en", "gen-why-role")])
    assert [a.question.id for a in heard] == ["heard-1", "gen-why-role"], heard
    assert heard[1].question.looking_for, (
        "a heard question that matches a shipped one has its guide"
    )
    assert find_questions(talk[:1] + talk[-1:], "en") == [], "no question: delivery figures only"


def test_a_recording_with_the_interviewer_s_voice_has_answers_of_the_person_alone() -> None:
    """Two voices told apart: a question is the interviewer's, the candidate's own question is
    part of an answer, and an answer is the candidate's lines, not the interviewer's between."""
    interviewer = {0.0, 3.0, 14.0, 20.0}
    talk = [
        replace(
            u,
            other_voice=u.start in interviewer,
            words=tuple(
                Word(w, u.start + 0.4 * i, u.start + 0.4 * i + 0.3, 0.9)
                for i, w in enumerate(u.text.split())
            ),
        )
        for u in [
            said(0.0, "Thanks for coming in today."),
            said(3.0, "So, tell me about a time you disagreed with a colleague."),
            said(8.0, "A designer and I disagreed about the sign-up flow, so we ran a test."),
            said(14.0, "Mm, right, I see."),
            said(17.0, "The test settled it and we shipped her version."),
            said(20.0, "Why do you want this job?"),
            said(23.0, "Your product helps small clinics. What does a typical day look like?"),
            said(30.0, "I like the work and the people I met today."),
        ]
    ]
    found = find_questions(talk, "en")
    assert [(a.question.text, a.start, a.end) for a in found] == [
        (talk[1].text, 8.0, talk[4].end),
        (talk[5].text, 23.0, talk[7].end),
    ], found
    results = recorded_answers(found, talk, "en")
    assert "I see" not in results[0].text and "shipped" in results[0].text
    assert "typical day" in results[1].text, "the candidate's own question is their answer"
    mine = sum(len(talk[i].text.split()) for i in (2, 4))
    assert results[0].figures.words == mine, (results[0].figures, mine)


@pytest.mark.parametrize(
    "data",
    [{"text": "\ud800 Q?"}, {"text": "Q?", "outline": ["ok", "\udfff"]},
     {"text": "Q?", "covers": [{"point": "p", "words": ["\ud83d"]}]}],
)  # fmt: skip
def test_a_question_that_is_not_unicode_text_is_refused(data: dict[str, object]) -> None:
    """Pins: a lone surrogate in a custom question was accepted, then broke the voice and the
    report."""
    with pytest.raises(QuestionFileError, match="not valid Unicode text"):
        question(data, "interview.questions[0]")
