"""Advice on one answer: at most one thing done well and at most two to change, each in plain
words with its evidence (the words said, the time, the figure and its typical range) and what
to do instead.

Only checks that apply to the question run: story structure where the question asks for a
story, length against the question's own recommended length, key points against its guide.
Content comes before delivery: what you said matters more than how fast you said it. Where a
figure cannot be measured (no transcript, no face, Mandarin pace until it has its own norm), its
check says nothing rather than something wrong. The ranges and their sources are in
``docs/interview.md``; the words are in :mod:`analyzers.interview.advice_text`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

from analyzers.encoding import Digits
from analyzers.interview.advice_text import say
from analyzers.interview.answers import AnswerCues, AnswerFigures
from analyzers.interview.questions import Question
from analyzers.voice.speaking_rate import as_english_pace, pace_range
from analyzers.words.language import language_family

MIN_WORDS = 12
"""Fewer words than this (with a transcript) is no answer to judge."""
STORY_ORDER = ("result", "action", "situation", "task")
"""The missing part of a story that costs most first: a story without its result or without
what you did is no evidence at all; one without its setting is only harder to follow."""


@dataclass(frozen=True)
class Evidence:
    question: int
    """The answer's index (0-based)."""
    t: Annotated[float | None, Digits(1)]
    """When the answer started (media seconds: where a recording replays it)."""
    figure: str
    value: Annotated[float | str | None, Digits(2)]
    typical: str
    said: str | None = None
    """The words that show it, as they were transcribed (folded)."""


@dataclass(frozen=True)
class Tip:
    kind: str
    """Stable name of the check (``structure.result``, ``coverage``, ``pace.fast``…)."""
    text: str
    """What was heard or seen."""
    do: str
    """What to do instead (empty for something done well)."""
    evidence: Evidence


@dataclass(frozen=True)
class Advice:
    good: Tip | None
    change: list[Tip]
    """At most two, the most important first."""


@dataclass(frozen=True)
class Heard:
    """One answer as the checks see it."""

    index: int
    question: Question
    started_at: float | None
    figures: AnswerFigures
    cues: AnswerCues | None
    language: str

    @property
    def family(self) -> str:
        return language_family(self.language)

    def tip(
        self, kind: str, figure: str, value: float | str | None, typical: str,
        said: str | None = None, key: str | None = None, **fields: object,
    ) -> Tip:  # fmt: skip
        """A tip of ``kind``, in words of ``key`` (default: the kind's own)."""
        lang = self.family
        text, do = say(lang, key or kind, **fields)
        evidence = Evidence(
            self.index, self.started_at, say(lang, f"figure.{figure}")[0], value,
            say(lang, f"typical.{typical}", **fields)[0], said,
        )  # fmt: skip
        return Tip(kind, text, do, evidence)


def _seconds(value: float) -> str:
    return f"{round(value)}"


def _content(h: Heard) -> tuple[list[Tip], list[Tip]]:
    """What was said: (good, to change)."""
    good: list[Tip] = []
    change: list[Tip] = []
    cues, f, q = h.cues, h.figures, h.question
    if cues is None:
        return good, change
    if f.words < MIN_WORDS:
        change.append(h.tip("silent", "words", f.words, "words", words=f.words))
        return good, change
    if q.covers:
        covered, total = len(cues.covered), len(q.covers)
        if cues.missed:
            change.append(
                h.tip(
                    "coverage", "points", f"{covered}/{total}", "points",
                    missed=_join(h.family, cues.missed), first=cues.missed[0],
                )
            )  # fmt: skip
        else:
            said = next(iter(cues.covered_by.values()), None)
            good.append(h.tip("coverage.all", "points", f"{covered}/{total}", "points",
                              said=said, covered=_join(h.family, cues.covered)))  # fmt: skip
    if q.asks_story:
        missing = [p for p in STORY_ORDER if not cues.star[p]]
        heard = sum(cues.star.values())
        if heard <= 1:
            change.append(h.tip("structure.none", "story", f"{heard}/4", "story"))
        elif missing:
            change.append(h.tip(f"structure.{missing[0]}", "story", f"{heard}/4", "story"))
        else:
            good.append(h.tip("structure.complete", "story", "4/4", "story",
                              said=cues.star_found.get("result")))  # fmt: skip
        if cues.numbers == 0:
            change.append(h.tip("specific", "numbers", 0, "numbers"))
        elif cues.star["result"]:
            result = cues.star_found.get("result")
            good.append(h.tip("specific.good", "numbers", cues.numbers, "numbers",
                              said=result, numbers=cues.numbers))  # fmt: skip
        if cues.ownership is not None and cues.we_words >= 3 and cues.ownership < 0.3:
            change.append(h.tip("ownership", "ownership", f"{cues.i_words}/{cues.we_words}",
                                "ownership", i=cues.i_words, we=cues.we_words))  # fmt: skip
    if cues.length == "short":
        change.append(h.tip("length.short", "length", round(f.duration), "length",
                            key="length.short" if q.outline else "length.short.bare",
                            duration=_seconds(f.duration), seconds=q.seconds,
                            step=q.outline[-1] if q.outline else ""))  # fmt: skip
    elif cues.length == "long":
        change.append(h.tip("length.long", "length", round(f.duration), "length",
                            duration=_seconds(f.duration), seconds=q.seconds))  # fmt: skip
    return good, change


def _length_ok(h: Heard) -> Tip | None:
    """A fitting length: praise only when nothing better was found."""
    if h.cues is None or h.cues.length != "ok" or h.figures.words < MIN_WORDS:
        return None
    f, q = h.figures, h.question
    return h.tip("length.ok", "length", round(f.duration), "length",
                 duration=_seconds(f.duration), seconds=q.seconds)  # fmt: skip


Delivery = Callable[[Heard], tuple[Tip | None, Tip | None]]


def _a_minute(h: Heard, count: int) -> float | None:
    """``count`` words of a kind a minute of the answer, once it was heard (15 s or more)."""
    minutes = h.figures.duration / 60
    return None if h.cues is None or minutes < 0.25 else count / minutes


def _fillers(h: Heard) -> tuple[Tip | None, Tip | None]:
    rate = _a_minute(h, h.figures.fillers)
    if rate is None:
        return None, None
    shown = f"{rate:.1f}"
    if rate > 6:
        return None, h.tip("fillers", "fillers", round(rate, 1), "fillers", rate=shown)
    if rate < 3:
        return h.tip("fillers.few", "fillers", round(rate, 1), "fillers", rate=shown), None
    return None, None


HEDGES_MIN, HEDGES_PER_MIN = 3, 4.0
"""Softening words (I think, maybe; 我觉得, 可能, 应该) in one answer past which it sounds unsure:
at least three, and more than four a minute. A judgement, as the report's "a few are natural":
no published norm for interview answers was found (``docs/interview.md``)."""


def _hedges(h: Heard) -> tuple[Tip | None, Tip | None]:
    hedges = h.figures.hedges
    rate = _a_minute(h, hedges)
    if rate is not None and hedges >= HEDGES_MIN and rate > HEDGES_PER_MIN:
        return None, h.tip("hedges", "hedges", hedges, "hedges", n=hedges)
    return None, None


def _pace(h: Heard) -> tuple[Tip | None, Tip | None]:
    wpm = h.figures.words_per_min
    if wpm is None or h.figures.words < MIN_WORDS:
        return None, None
    # Mandarin is counted in characters a minute: judged on the English thresholds carried
    # over by the languages' measured syllable rates (PACE_SCALE).
    english = as_english_pace(wpm, h.family)
    low, high = pace_range(120, 165, h.family)
    shown = f"{wpm:.0f}"
    if english > 185:
        return None, h.tip("pace.fast", "pace", round(wpm), "pace", wpm=shown, low=low, high=high)
    if english < 95:
        return None, h.tip("pace.slow", "pace", round(wpm), "pace", wpm=shown, low=low, high=high)
    if 120 <= english <= 165:
        return h.tip("pace.ok", "pace", round(wpm), "pace", wpm=shown, low=low, high=high), None
    return None, None


def _first_word(h: Heard) -> tuple[Tip | None, Tip | None]:
    s = h.figures.time_to_first_word
    if s is None:
        return None, None
    if s > 15:
        return None, h.tip("first_word", "first_word", round(s), "first_word", s=round(s))
    if s <= 5:
        return h.tip("first_word.quick", "first_word", round(s, 1), "first_word",
                     s=round(s)), None  # fmt: skip
    return None, None


def _eye(h: Heard) -> tuple[Tip | None, Tip | None]:
    e = h.figures.eye_contact
    if e is None:
        return None, None
    pct = f"{round(e * 100)} %"
    if e < 0.25:
        return None, h.tip("eye_contact", "eye_contact", round(e, 2), "eye_contact", pct=pct)
    if e >= 0.5:
        return h.tip("eye_contact.good", "eye_contact", round(e, 2), "eye_contact", pct=pct), None
    return None, None


def _voice(h: Heard) -> tuple[Tip | None, Tip | None]:
    v = h.figures.pitch_variation
    if v is None:
        return None, None
    if v < 1.3:
        return None, h.tip("voice", "voice", round(v, 1), "voice", st=f"{v:.1f}")
    if v >= 2.0:
        return h.tip("voice.good", "voice", round(v, 1), "voice", st=f"{v:.1f}"), None
    return None, None


DELIVERY: tuple[Delivery, ...] = (_fillers, _hedges, _pace, _first_word, _eye, _voice)


def tips(h: Heard) -> tuple[list[Tip], list[Tip]]:
    """Every tip that applies, (good, to change), the most important first."""
    good, change = _content(h)
    for check in DELIVERY:
        well, badly = check(h)
        if well is not None:
            good.append(well)
        if badly is not None:
            change.append(badly)
    if (fits := _length_ok(h)) is not None:
        good.append(fits)
    return good, change


def advise(h: Heard) -> Advice:
    good, change = tips(h)
    return Advice(good[0] if good else None, change[:2])


def _join(family: str, items: list[str]) -> str:
    if family == "zh":
        return "、".join(items)
    if len(items) <= 2:
        return " and ".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _english_pace(h: Heard) -> float:
    return as_english_pace(h.figures.words_per_min or 0.0, h.family)


_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_CLAIMS: dict[str, tuple[tuple[str, re.Pattern[str], Callable[[Heard], bool]], ...]] = {
    # (what the claim is about, the words that make it, whether the measurement contradicts it)
    "en": (
        ("pace",
         re.compile(r"\b(?:slow down|too fast|speak(?:ing)? (?:more )?slowly|rush(?:ed|ing)?)\b"),
         lambda h: h.figures.words_per_min is None or h.figures.words_per_min <= 165),
        ("pace", re.compile(r"\b(?:speed up|too slow(?:ly)?|faster pace)\b"),
         lambda h: h.figures.words_per_min is None or h.figures.words_per_min >= 120),
        ("length", re.compile(r"\b(?:too long|shorter|cut (?:it )?down)\b"),
         lambda h: h.cues is None or h.cues.length == "short"),
        ("length", re.compile(r"\b(?:too short|longer|say more)\b"),
         lambda h: h.cues is None or h.cues.length == "long"),
        ("fillers", re.compile(r"\b(?:filler|fillers|um|uh|umm)\b"),
         lambda h: (_rate(h) or 0.0) < 3),
        ("numbers",
         re.compile(r"\b(?:no|without (?:any )?) ?(?:numbers|figures|metrics)\b"),
         lambda h: h.cues is None or h.cues.numbers > 0),
        ("eye_contact", re.compile(r"\b(?:eye contact|look at the camera)\b"),
         lambda h: h.figures.eye_contact is None or h.figures.eye_contact >= 0.5),
    ),
    "zh": (
        ("pace", re.compile(r"太快|说慢|放慢"),
         lambda h: h.figures.words_per_min is None or _english_pace(h) <= 165),
        ("pace", re.compile(r"太慢|说快|加快"),
         lambda h: h.figures.words_per_min is None or _english_pace(h) >= 120),
        ("length", re.compile(r"太长|精简|缩短"),
         lambda h: h.cues is None or h.cues.length == "short"),
        ("length", re.compile(r"太短|多说|展开"),
         lambda h: h.cues is None or h.cues.length == "long"),
        ("fillers", re.compile(r"语气词|嗯|呃"), lambda h: (_rate(h) or 0.0) < 3),
        ("numbers", re.compile(r"没有数字|没有数据|缺少数字"),
         lambda h: h.cues is None or h.cues.numbers > 0),
        ("eye_contact", re.compile(r"眼神|看镜头"),
         lambda h: h.figures.eye_contact is None or h.figures.eye_contact >= 0.5),
    ),
}  # fmt: skip
"""Claims a piece of advice to change can make about what Lens measures, and when the
measurement says otherwise (Mandarin pace is not measured against a norm: any claim about it
contradicts what Lens can say)."""


def _rate(h: Heard) -> float | None:
    minutes = h.figures.duration / 60
    return None if minutes < 0.25 else h.figures.fillers / minutes


def contradiction(advice: Advice, h: Heard, allowed: str) -> str | None:
    """Why ``advice`` (a language model's) cannot be shown for the answer ``h``: a figure that
    is neither in ``allowed`` (the answer and what was measured) nor measured, or a change that
    the measurements contradict ("slow down" at 130 words a minute). ``None``: it holds up."""
    figures = set(_NUMBER.findall(allowed))
    tips = [advice.good] if advice.good is not None else []
    for tip in [*tips, *advice.change]:
        written = f"{tip.text} {tip.do} {tip.evidence.said or ''}"
        unknown = [n for n in _NUMBER.findall(written) if n not in figures]
        if unknown:
            return f"a figure that was not measured ({unknown[0]})"
    for tip in advice.change:
        written = f"{tip.text} {tip.do}".lower()
        for about, claim, contradicted in _CLAIMS[h.family]:
            if claim.search(written) and contradicted(h):
                return f"a change about {about} that the measurements contradict"
    return None
