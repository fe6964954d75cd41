"""What an answer's words say: honest heuristics over the transcript, each with its limits.

- **Story structure** (situation, task, action, result): cue phrases over folded words
  (:mod:`analyzers.interview.story`, which says what counts and what is missed). It is judged
  only where the question asks for a story.
- **Specificity**: numbers (digits, number words, percentages) and, in English, named things
  (capitalised words inside a sentence, "I" left out). Recognition writes numbers as digits
  most of the time; names it mishears are missed.
- **Ownership**: "I/me/my" against "we/us/our" (我 against 我们). Neither is wrong; an answer
  about your own part that is all "we" hides it.
- **Length** against the question's recommended length: ``short`` under half of it, ``long``
  over one and a half times.
- **Coverage** of the question's key points: a point counts as touched when one of its guide's
  words or phrases (stemmed) is in the answer. It checks the words, not the meaning.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Annotated, Literal

import numpy as np

from analyzers.encoding import Digits
from analyzers.interview.questions import Question
from analyzers.interview.story import PARTS, story_parts, touched
from analyzers.voice.summary import pitch_stats
from analyzers.words.language import Utterance, language_family, summarise
from analyzers.words.match import is_number, words

_WORD = re.compile(r"[A-Za-z][A-Za-z'-]*|\d[\d,.]*%?")
_SENTENCE_END = re.compile(r"[.!?]\s*$")
_ZH_DIGITS = re.compile(
    r"[0-9\uff10-\uff19]+(?:\.[0-9]+)?|百分之[一二三四五六七八九十百零两]+|"
    r"[一二三四五六七八九十百千万亿两半]+(?=[个次年月周天倍成秒分小点块元万千百位张台家种%\uff05])"
)
"""Numbers in Chinese: digits, 百分之… and numerals before a measure word; a lone 一 is left
out (一个, 一次 are mostly "a", "once")."""

Length = Literal["short", "ok", "long"]


@dataclass(frozen=True)
class AnswerCues:
    star: dict[str, bool]
    """Whether each of situation, task, action and result had a cue phrase."""
    star_found: dict[str, str]
    """The words that showed each part heard."""
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
    covered_by: dict[str, str] = field(default_factory=dict)
    """The word or phrase that showed each point covered."""


def _named(sentences: Sequence[str]) -> int:
    count = 0
    for sentence in sentences:
        words = _WORD.findall(sentence)
        count += sum(1 for w in words[1:] if w[:1].isupper() and w not in ("I", "I'm", "I've"))
    return count


def answer_cues(text: str, language: str, question: Question, duration: float) -> AnswerCues:
    """The cues of an answer said as ``text`` over ``duration`` seconds."""
    family = language_family(language)
    parts = story_parts(text, family).found
    if family == "zh":
        numbers = sum(1 for n in _ZH_DIGITS.findall(text) if n != "一")
        named = 0
        we = text.count("我们")
        i_words = text.count("我") - we
    else:
        said = words(text)
        numbers = sum(1 for w in said if is_number(w) and w not in ("one", "percent"))
        named = _named(re.split(r"(?<=[.!?])\s+", text))
        i_words = sum(1 for w in said if w in ("i", "me", "my", "mine"))
        we = sum(1 for w in said if w in ("we", "us", "our", "ours"))
    ratio = duration / question.seconds if question.seconds else 0.0
    length: Length = "short" if ratio < 0.5 else "long" if ratio > 1.5 else "ok"
    shown = touched(question.covers, text, family, story=question.asks_story, parts=parts)
    return AnswerCues(
        star={part: part in parts for part in PARTS},
        star_found=parts,
        numbers=numbers,
        named_things=named,
        i_words=i_words,
        we_words=we,
        length=length,
        length_ratio=ratio,
        ownership=None if i_words + we == 0 else i_words / (i_words + we),
        covered=[p for p in question.points if p in shown],
        missed=[p for p in question.points if p not in shown],
        covered_by=shown,
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
