"""What an answer's words say: honest heuristics over the transcript, each with its limits.

- **STAR structure**: cue phrases for the situation ("when I was", "at my last job"; 当时), the
  task ("I was responsible for", "my goal"; 我负责), the action ("I decided", "so I"; 我决定)
  and the result ("as a result", "we reduced"; 结果, 最后). A cue is a hint, not proof: a story
  told without these phrases is missed, and a phrase said in passing is counted.
- **Specificity**: numbers (digits, number words, percentages) and, in English, named things
  (capitalised words inside a sentence, "I" left out). Recognition writes numbers as digits
  most of the time; names it mishears are missed.
- **Ownership**: "I/me/my" against "we/us/our" (我 against 我们). Neither is wrong; an answer
  about your own part that is all "we" hides it.
- **Length** against the question's recommended length: ``short`` under half of it, ``long``
  over one and a half times.
- **Coverage** of the question's "good answer" points: a point counts as touched when one of its
  content words (English: its first five letters; Chinese: any two characters of it) is in the
  answer. It checks the words, not the meaning.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Annotated, Literal

import numpy as np

from analyzers.encoding import Digits
from analyzers.interview.questions import Question
from analyzers.voice.summary import pitch_stats
from analyzers.words.language import Utterance, language_family, summarise

STAR_CUES: dict[str, dict[str, tuple[str, ...]]] = {
    "en": {
        "situation": (
            "when i was",
            "at my last",
            "at my previous",
            "in my previous",
            "in my last",
            "the situation",
            "there was a",
            "we had a",
            "back in",
            "last year",
            "a few years ago",
            "at the time",
            "one time",
        ),
        "task": (
            "i was responsible",
            "my job was",
            "my task",
            "my role was",
            "i needed to",
            "i had to",
            "the goal was",
            "my goal",
            "we needed to",
            "i was asked to",
        ),
        "action": (
            "i decided",
            "so i",
            "i started",
            "i built",
            "i wrote",
            "i led",
            "i organised",
            "i organized",
            "i talked",
            "i proposed",
            "i set up",
            "i created",
            "i worked with",
            "i reached out",
            "i analysed",
            "i analyzed",
            "i changed",
            "first i",
            "then i",
        ),
        "result": (
            "as a result",
            "in the end",
            "the result",
            "which led to",
            "that led to",
            "we reduced",
            "we increased",
            "i reduced",
            "i increased",
            "we saved",
            "improved",
            "we shipped",
            "we launched",
            "i learned",
            "i learnt",
            "ended up",
        ),
    },
    "zh": {
        "situation": ("当时", "那时候", "之前在", "在上一家", "有一次", "情况是", "去年"),
        "task": ("我负责", "我的任务", "目标是", "我需要", "我要", "任务是"),
        "action": ("我决定", "于是我", "我开始", "我做了", "我组织", "我提出", "首先", "然后我"),
        "result": ("结果", "最后", "最终", "提高了", "减少了", "学到", "成功"),
    },
}
_NUMBER_WORDS = frozenset(
    "two three four five six seven eight nine ten eleven twelve fifteen twenty thirty forty "
    "fifty hundred thousand million billion percent half dozen".split()
)
_WORD = re.compile(r"[A-Za-z][A-Za-z'-]*|\d[\d,.]*%?")
_SENTENCE_END = re.compile(r"[.!?]\s*$")
_STOP = frozenset(
    "about after also and any are because been being but can could did does doing for from "
    "had has have how into its just like more most not one only other our out over own same "
    "should some such than that the their them then there these they this those through very "
    "was were what when where which while who why will with would your you".split()
)
_ZH_DIGITS = re.compile(
    r"[0-9\uff10-\uff19]+|[一二三四五六七八九十百千万亿两]+[个次年月天倍成%\uff05]"
)

Length = Literal["short", "ok", "long"]


@dataclass(frozen=True)
class AnswerCues:
    star: dict[str, bool]
    """Whether each of situation, task, action and result had a cue phrase."""
    star_found: list[str]
    """The cue phrases heard."""
    numbers: int
    named_things: int
    i_words: int
    we_words: int
    length: Length
    length_ratio: Annotated[float, Digits(2)]
    """The answer's duration over the recommended length."""
    ownership: Annotated[float | None, Digits(2)]
    """Share of I among I and we (``None`` with neither)."""
    covered: list[str]
    missed: list[str]


def _english(text: str) -> list[str]:
    return [w.lower() for w in _WORD.findall(text)]


def _named(sentences: Sequence[str]) -> int:
    count = 0
    for sentence in sentences:
        words = _WORD.findall(sentence)
        count += sum(1 for w in words[1:] if w[:1].isupper() and w not in ("I", "I'm", "I've"))
    return count


def _touched(point: str, text: str, family: str) -> bool:
    if family == "zh":
        core = re.sub(r"[\s\W]", "", point)
        return any(core[i : i + 2] in text for i in range(max(1, len(core) - 1)))
    stems = {w[:5] for w in _english(point) if len(w) > 3 and w not in _STOP}
    said = {w[:5] for w in _english(text)}
    return bool(stems & said)


def answer_cues(text: str, language: str, question: Question, duration: float) -> AnswerCues:
    """The cues of an answer said as ``text`` over ``duration`` seconds."""
    family = language_family(language)
    lowered = " " + re.sub(r"\s+", " ", text.lower()) + " "
    cues = STAR_CUES[family]
    found = [
        phrase
        for phrases in cues.values()
        for phrase in phrases
        if (f" {phrase} " in lowered or f" {phrase}," in lowered)
        or (family == "zh" and phrase in lowered)
    ]
    star = {part: any(p in found for p in phrases) for part, phrases in cues.items()}
    if family == "zh":
        numbers = len(_ZH_DIGITS.findall(text))
        named = 0
        we = text.count("我们")
        i_words = text.count("我") - we
    else:
        words = _english(text)
        numbers = sum(1 for w in words if w[0].isdigit() or w in _NUMBER_WORDS)
        named = _named(re.split(r"(?<=[.!?])\s+", text))
        i_words = sum(1 for w in words if w in ("i", "me", "my", "mine", "i'm", "i've", "i'd"))
        we = sum(1 for w in words if w in ("we", "us", "our", "ours", "we're", "we've"))
    ratio = duration / question.seconds if question.seconds else 0.0
    length: Length = "short" if ratio < 0.5 else "long" if ratio > 1.5 else "ok"
    covered = [p for p in question.covers if _touched(p, text, family)]
    return AnswerCues(
        star=star,
        star_found=found,
        numbers=numbers,
        named_things=named,
        i_words=i_words,
        we_words=we,
        length=length,
        length_ratio=ratio,
        ownership=None if i_words + we == 0 else i_words / (i_words + we),
        covered=covered,
        missed=[p for p in question.covers if p not in covered],
    )


@dataclass(frozen=True)
class AnswerFigures:
    """How one answer was delivered, over its own time (first word to end)."""

    duration: Annotated[float, Digits(1)]
    time_to_first_word: Annotated[float | None, Digits(1)]
    """Seconds from the end of the question to the first word."""
    words: int
    words_per_min: Annotated[float | None, Digits(0)]
    fillers: int
    """Filled pauses (um, uh; 嗯, 呃), the same count as the report's "Filler words"."""
    hedges: int
    longest_pause: Annotated[float | None, Digits(1)]
    """The longest silence between two words of the answer."""
    eye_contact: Annotated[float | None, Digits(2)]
    """Share of frames with a face in which the gaze met the camera."""
    expression: str | None
    """The expression shown most."""
    pitch_variation: Annotated[float | None, Digits(1)]
    """Spread of the voice's pitch, in semitones (conversational speech: about 2-4)."""


def answer_figures(
    utterances: Sequence[Utterance],
    language: str,
    *,
    start: float,
    end: float,
    time_to_first_word: float | None,
    eye_contact: Sequence[bool],
    expressions: Sequence[str],
    pitches: Sequence[float],
) -> AnswerFigures:
    """The figures of the answer from ``start`` to ``end`` (media seconds): ``utterances`` are
    the session's (those inside are taken), the rest were seen during the answer."""
    inside = answer_utterances(utterances, start, end)
    summary = summarise(inside, language)
    words = [w for u in inside for w in u.words]
    gaps = [b.start - a.end for a, b in pairwise(words)]
    pitch = pitch_stats(np.asarray(pitches, np.float64)) if len(pitches) >= 10 else None
    shown = Counter(expressions).most_common(1)
    return AnswerFigures(
        duration=max(0.0, end - start),
        time_to_first_word=time_to_first_word,
        words=summary.words,
        words_per_min=summary.words_per_min,
        fillers=summary.fillers,
        hedges=summary.hedges,
        longest_pause=max(gaps) if gaps else None,
        eye_contact=sum(eye_contact) / len(eye_contact) if eye_contact else None,
        expression=shown[0][0] if shown else None,
        pitch_variation=None if pitch is None else pitch.std_semitones,
    )


def answer_utterances(utterances: Sequence[Utterance], start: float, end: float) -> list[Utterance]:
    """The utterances said during the answer (their middle inside it)."""
    return [u for u in utterances if start - 0.5 <= (u.start + u.end) / 2 <= end + 0.5]
