"""What the words say about delivery: filler words, hedges, repetitions, pace from words, and
the longest monologue, from timed words (English and Mandarin).

**Filled pauses** ("um", "uh"; 嗯, 呃) and **discourse fillers** ("like", "you know", "I mean";
那个, 这个, 就是) are counted apart: the first are hesitation sounds, the second real words used
as fillers (and often not: "I like it" is no filler), so only filled pauses feed the headline
count. "like" is not counted where it is a verb (after "I", "would", "do"…) or a preposition
(before "a", "the", "this", "to"…), nor "I mean" before "it" or "that".

In Mandarin 那个, 这个 and 就是 are mostly real words ("那个人", "这就是我"): they count as
fillers only where the speaker stops after them (punctuation, a silence of
:data:`FILLER_PAUSE` seconds or more, or the end of the utterance), as in "那个... 我觉得".

**Hedges** ("I think", "maybe", "sort of", "kind of", "I guess", "just"; 可能, 应该, 我觉得,
大概) soften a claim; a few are natural, many read as unsure.

**Repetitions** are a word or a two- or three-word phrase said again right after itself ("I I
think", "we did, we did"), fillers left out: the stumbles a listener hears.

Pace from words is words per minute of speaking time (Mandarin: characters per minute).
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated

from analyzers.encoding import Digits
from analyzers.voice.summary import TURN_GAP, turns

FILLED_PAUSES = {
    "en": frozenset({"um", "umm", "uh", "uhh", "uhm", "er", "erm", "ah", "ahh", "hmm", "hm", "mm"}),
    "zh": frozenset({"嗯", "呃", "啊", "额", "唔"}),
}
DISCOURSE_FILLERS = {
    "en": (("you", "know"), ("i", "mean"), ("like",)),
    "zh": (("那个",), ("这个",), ("就是",)),
}
HEDGES = {
    "en": (("i", "think"), ("maybe",), ("sort", "of"), ("kind", "of"), ("i", "guess"), ("just",)),
    "zh": (("可能",), ("应该",), ("我觉得",), ("大概",)),
}
# "like" is a verb after these ("I like", "would like") ...
_LIKE_AFTER = frozenset(
    "would i you we they do dont did didnt looks look feel feels seems more much really "
    "something just not to".split()
)
# ... and a preposition before these ("like a dream", "like this", "like to").
_LIKE_BEFORE = frozenset(
    "a an the this that these those my your his her our their it him them me us to when what "
    "how".split()
)
_PUNCTUATION = re.compile(r"[\s\W_]+", re.UNICODE)
_ENDS_IN_PUNCTUATION = re.compile(r"[^\w\s]\s*$", re.UNICODE)
FILLER_PAUSE = 0.3
"""Seconds of silence after 那个/这个/就是 that make it a filler rather than a word."""


def language_family(language: str) -> str:
    """``en`` or ``zh`` (``cmn``, ``zh`` and Chinese variants)."""
    return "zh" if language.lower().startswith(("zh", "cmn", "yue")) else "en"


def normalise(word: str) -> str:
    """Lower case without punctuation or spaces (Whisper writes " Um," and "uh-")."""
    return _PUNCTUATION.sub("", unicodedata.normalize("NFKC", word).lower())


@dataclass(frozen=True)
class Word:
    word: str
    start: float
    end: float
    probability: float
    filler: str | None = None
    """``filled`` (um, uh), ``discourse`` (like, you know) or ``None``."""
    hedge: bool = False


@dataclass(frozen=True)
class Utterance:
    """What was said between a speech start and stop (a long one is cut): its words, with
    media times."""

    start: float
    end: float
    text: str
    language: str
    words: tuple[Word, ...]
    other_voice: bool = False
    """Said by a voice other than the person's (a recording with two voices:
    :mod:`analyzers.voice.speakers`)."""


def _tokens(words: Sequence[Word]) -> list[str]:
    return [normalise(w.word) for w in words]


def _matches(tokens: list[str], i: int, phrase: tuple[str, ...]) -> bool:
    return tuple(tokens[i : i + len(phrase)]) == phrase


def label_words(words: Sequence[Word], language: str) -> list[Word]:
    """The words with ``filler`` and ``hedge`` set. Mandarin words (Whisper gives one or a few
    characters each) are matched on their text."""
    family = language_family(language)
    tokens = _tokens(words)
    labels: list[tuple[str | None, bool]] = [(None, False)] * len(words)
    filled = FILLED_PAUSES[family]
    for i, token in enumerate(tokens):
        # "'er" is "her" with its h dropped, written so: a word, not a hesitation.
        if token in filled and not words[i].word.strip().startswith(("'", "\u2019")):
            labels[i] = ("filled", False)
    for phrase in DISCOURSE_FILLERS[family]:
        for i in range(len(tokens)):
            if labels[i][0] or not _matches(tokens, i, phrase):
                continue
            if phrase == ("like",) and (
                (i > 0 and tokens[i - 1] in _LIKE_AFTER)
                or (i + 1 < len(tokens) and tokens[i + 1] in _LIKE_BEFORE)
            ):
                continue
            if phrase == ("i", "mean") and i + 2 < len(tokens) and tokens[i + 2] in ("it", "that"):
                continue
            if family == "zh" and not _pause_after(words, i + len(phrase) - 1):
                continue
            for j in range(i, i + len(phrase)):
                labels[j] = ("discourse", False)
    for phrase in HEDGES[family]:
        for i in range(len(tokens)):
            if _matches(tokens, i, phrase) and not any(
                labels[j][0] for j in range(i, i + len(phrase))
            ):
                for j in range(i, i + len(phrase)):
                    labels[j] = (labels[j][0], True)
    return [
        Word(w.word, w.start, w.end, w.probability, filler, hedge)
        for w, (filler, hedge) in zip(words, labels, strict=True)
    ]


def _pause_after(words: Sequence[Word], i: int) -> bool:
    """Whether the speaker stops after word ``i``: punctuation, a silence, or the end."""
    if i + 1 >= len(words) or _ENDS_IN_PUNCTUATION.search(words[i].word):
        return True
    return words[i + 1].start - words[i].end >= FILLER_PAUSE


def _phrase_count(words: Sequence[Word], attribute: str) -> Counter[str]:
    """Occurrences of labelled phrases: consecutive words with the label make one."""
    counts: Counter[str] = Counter()
    run: list[str] = []
    for word in [*words, None]:
        marked = word is not None and (
            word.filler == "discourse" if attribute == "discourse" else getattr(word, attribute)
        )
        if marked and word is not None:
            run.append(normalise(word.word))
            continue
        if run:
            counts[" ".join(run)] += 1
            run = []
    return counts


def repetitions(words: Sequence[Word]) -> list[str]:
    """Words and two- or three-word phrases said again right after themselves (fillers aside)."""
    tokens = [normalise(w.word) for w in words if w.filler is None and normalise(w.word)]
    found: list[str] = []
    i = 0
    while i < len(tokens):
        for size in (3, 2, 1):
            if (
                i + 2 * size <= len(tokens)
                and tokens[i : i + size] == tokens[i + size : i + 2 * size]
            ):
                found.append(" ".join(tokens[i : i + size]))
                i += size
                break
        else:
            i += 1
    return found


def spoken_units(words: Sequence[Word], language: str) -> int:
    """Words (Mandarin: Han characters) that are not filled pauses."""
    kept = [w for w in words if w.filler != "filled"]
    if language_family(language) == "zh":
        return sum(1 for w in kept for ch in w.word if unicodedata.category(ch) == "Lo")
    return sum(1 for w in kept if normalise(w.word))


@dataclass(frozen=True)
class LanguageSummary:
    words: int
    """Words spoken (Mandarin: characters), filled pauses left out."""
    words_per_min: Annotated[float | None, Digits(1)]
    """Speech rate: words per minute of turn time (first word to last word of each turn, a
    silence of the turn gap or more ending a turn); Mandarin: characters."""
    turn_seconds: Annotated[float, Digits(2)]
    fillers: int
    """Filled pauses (um, uh; 嗯, 呃): the "Filler words" figure, live and in the report."""
    fillers_per_min: Annotated[float | None, Digits(2)]
    """Filled pauses per minute of speaking time."""
    top_fillers: list[tuple[str, int]]
    discourse_fillers: int
    """Words used as fillers (like, you know; 那个, 这个), counted apart."""
    hedges: int
    top_hedges: list[tuple[str, int]]
    repetitions: int
    top_repetitions: list[tuple[str, int]]
    longest_monologue_s: Annotated[float | None, Digits(2)]
    """The longest answer: utterances joined across silences shorter than the turn gap (a
    pause to think stays inside the answer)."""


def summarise(
    utterances: Sequence[Utterance], language: str, turn_gap: float = TURN_GAP
) -> LanguageSummary:
    words = [w for u in utterances for w in u.words]
    speaking = sum(u.end - u.start for u in utterances)
    units = spoken_units(words, language)
    # A turn runs from its first word to its last, filled pauses included (they hold the floor).
    in_turns = sum(b - a for a, b in turns([(w.start, w.end) for w in words], turn_gap))
    fillers = Counter(normalise(w.word) for w in words if w.filler == "filled")
    discourse = _phrase_count(words, "discourse")
    hedges = _phrase_count(words, "hedge")
    repeats = Counter(r for u in utterances for r in repetitions(u.words))
    minutes = speaking / 60
    return LanguageSummary(
        words=units,
        words_per_min=units * 60 / in_turns if in_turns > 0 and units else None,
        turn_seconds=in_turns,
        fillers=sum(fillers.values()),
        fillers_per_min=sum(fillers.values()) / minutes if minutes > 0 else None,
        top_fillers=fillers.most_common(3),
        discourse_fillers=sum(discourse.values()),
        hedges=sum(hedges.values()),
        top_hedges=hedges.most_common(3),
        repetitions=sum(repeats.values()),
        top_repetitions=repeats.most_common(3),
        longest_monologue_s=max(
            b - a for a, b in turns([(u.start, u.end) for u in utterances], turn_gap)
        )
        if utterances
        else None,
    )


_NUMBERS = dict(
    enumerate(
        "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
        "fifteen sixteen seventeen eighteen nineteen twenty".split()
    )
)


_SPELLINGS = {
    "yknow": "you know",
    "alright": "all right",
    "okay": "ok",
    "gonna": "going to",
    "wanna": "want to",
    "kinda": "kind of",
    "sorta": "sort of",
}
"""One spelling for words written several ways (a transcriber's "yknow", Whisper's "you
know"), as Whisper's own English text normaliser does before it scores."""


def word_error_rate(reference: str, hypothesis: str) -> float:
    """Word-level edit distance over the reference's length: lower case, no punctuation,
    numerals up to twenty as words ("5" is "five"), one spelling for words written several
    ways, and filled pauses left out of both (for measuring recognition, not delivery)."""
    filled = FILLED_PAUSES["en"] | FILLED_PAUSES["zh"]

    def tokens(text: str) -> list[str]:
        words = (normalise(x) for x in text.replace("-", " ").split())
        spelled = (_NUMBERS.get(int(w), w) if w.isdigit() else w for w in words)
        split = (part for w in spelled for part in _SPELLINGS.get(w, w).split())
        return [w for w in split if w and w not in filled]

    ref, hyp = tokens(reference), tokens(hypothesis)
    row = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        previous, row[0] = row[0], i
        for j, h in enumerate(hyp, 1):
            previous, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, previous + (r != h))
    return row[-1] / max(1, len(ref))
