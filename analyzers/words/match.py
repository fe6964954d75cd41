"""Words as a matcher needs them: a transcript folded so that the recogniser's writing does not
decide what was heard.

English is lowercased, punctuation goes ("So, I" is "so i"), contractions are spelled out
("didn't" is "did not", "I'm" is "i am"), possessives lose their "'s", numbers lose their
thousands commas and "%" is the word "percent" ("90%" is "90 percent"), hyphens split
("end-to-end" is "end to end") and British spellings fold into one ("organised" and "organized"
are both "organized"; "behaviour" is "behavior"). :func:`stems` then takes the Snowball (Porter2)
stem of each word, so "reduced", "reduces" and "reducing" are one word.

Chinese is folded to half-width (NFKC), lowercased for any Latin in it, and stripped of spaces
and punctuation, so 最后, 我们 and 最后我们 match however the recogniser punctuated them.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import snowballstemmer

CONTRACTIONS = {
    "i'm": "i am", "i've": "i have", "i'd": "i would", "i'll": "i will",
    "we're": "we are", "we've": "we have", "we'd": "we would", "we'll": "we will",
    "you're": "you are", "you've": "you have", "you'd": "you would", "you'll": "you will",
    "they're": "they are", "they've": "they have", "they'd": "they would",
    "they'll": "they will", "it's": "it is", "that's": "that is", "there's": "there is",
    "what's": "what is", "he's": "he is", "she's": "she is", "let's": "let us",
    "here's": "here is", "who's": "who is", "can't": "can not", "won't": "will not",
    "shan't": "shall not", "ain't": "is not",
}  # fmt: skip
"""Contractions whose spelled-out form is not the word with "n't" split off."""
NUMBER_WORDS = frozenset(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty "
    "ninety hundred thousand million billion half double twice triple dozen percent".split()
)
STOP_WORDS = frozenset(
    "a about after also an and any are as at be because been being but by can could did do "
    "does doing for from had has have how i in into is it its just like me more most my not of "
    "on one only or other our out over own same should so some such than that the their them "
    "then there these they this those through to us very was we were what when where which "
    "while who why will with would you your".split()
)
"""Words that say nothing of what a point or a question is about (folded)."""
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "`": "'", "\u00b4": "'"})
_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}\b)")
_PERCENT = re.compile(r"%|\bper cent\b")
_NOT_WORD = re.compile(r"[^a-z0-9'.]+")
_LOOSE_DOT = re.compile(r"(?<!\d)\.|\.(?!\d)")
_ISE = re.compile(r"^([a-z]{3,})is(e|ed|es|ing|ation|ations|er|ers)$")
_YSE = re.compile(r"^([a-z]+)ys(e|ed|es|ing)$")
_OUR = re.compile(r"^([a-z]{3,})our(s|ed|ing|ite|ites|able)?$")
_ZH_DROP = re.compile(r"[^\w%]+|_+")
_STEMMER = snowballstemmer.stemmer("english")
_NOT_FOLDED = frozenset({"promise", "premise", "precise", "concise", "exercise", "advise",
                         "advertise", "expertise", "otherwise", "likewise", "franchise",
                         "surprise", "enterprise", "compromise", "merchandise", "raise",
                         "praise", "noise", "cruise", "wise", "rise", "revise", "devise",
                         "supervise", "televise", "improvise", "disguise", "chastise"})  # fmt: skip
"""Words ending in "-ise" that have no "-ize" spelling (folding them is harmless, but the words
a person reads back in a quote should be theirs)."""


def _fold(word: str) -> str:
    """One spelling of a word written both ways ("organise" and "organize")."""
    if (m := _ISE.match(word)) and f"{m.group(1)}ise" not in _NOT_FOLDED:
        return f"{m.group(1)}iz{m.group(2)}"
    if m := _YSE.match(word):
        return f"{m.group(1)}yz{m.group(2)}"
    if (m := _OUR.match(word)) and len(word) >= 6:
        return f"{m.group(1)}or{m.group(2) or ''}"
    return word


def _spell_out(word: str) -> list[str]:
    if word in CONTRACTIONS:
        return CONTRACTIONS[word].split()
    if word.endswith("n't"):
        return [word[:-3], "not"]
    if word.endswith("'s"):
        return [word[:-2]]
    if word.endswith(("'re", "'ve", "'ll", "'d")):
        head, _, tail = word.partition("'")
        return [head, {"re": "are", "ve": "have", "ll": "will", "d": "would"}[tail]]
    return [word.strip("'")] if word.strip("'") else []


def words(text: str) -> list[str]:
    """English ``text`` as folded words (see the module's docstring)."""
    text = unicodedata.normalize("NFKC", text).translate(_APOSTROPHES).lower()
    text = _THOUSANDS.sub("", text)
    text = _PERCENT.sub(" percent ", text)
    text = text.replace("-", " ")
    text = _LOOSE_DOT.sub(" ", _NOT_WORD.sub(" ", text))
    out: list[str] = []
    for raw in text.split():
        out.extend(_fold(w) for w in _spell_out(raw))
    out = [w for w in out if w]
    for i, w in enumerate(out):
        if w == "would" and i and raw_had(out, i):
            out[i] = "had"  # "I'd only ever talked": "I had", not "I would"
    return out


_PARTICIPLES = frozenset(
    "been done gone had made taken given seen known told written built led found sent spent "
    "got gotten brought thought put set run met heard left lost kept".split()
)
_BETWEEN = frozenset("only ever never already just not also always".split())


def raw_had(out: list[str], i: int) -> bool:
    """Whether the "would" at ``i`` was a "'d" before a past participle (so "had")."""
    j = i + 1
    while j < len(out) and out[j] in _BETWEEN:
        j += 1
    nxt = out[j] if j < len(out) else ""
    return nxt in _PARTICIPLES or (nxt.endswith("ed") and len(nxt) > 3)


def stems(folded: list[str]) -> list[str]:
    """The Porter2 stem of each folded word."""
    return [_stem(w) for w in folded]


@lru_cache(maxsize=8192)
def _stem(word: str) -> str:
    found: str = _STEMMER.stemWord(word)
    return found


def chinese(text: str) -> str:
    """Chinese ``text`` folded: half-width, lower case, no spaces or punctuation ("%" kept)."""
    return _ZH_DROP.sub("", unicodedata.normalize("NFKC", text).lower())


def is_number(word: str) -> bool:
    """A folded word that says a quantity ("90", "1.5", "ninety", "half", "percent")."""
    return word[:1].isdigit() or word in NUMBER_WORDS


def find_phrase(haystack: list[str], phrase: list[str]) -> int | None:
    """Where the word sequence ``phrase`` starts in ``haystack`` (``None``: nowhere)."""
    n = len(phrase)
    if n == 0:
        return None
    first = phrase[0]
    for i in range(len(haystack) - n + 1):
        if haystack[i] == first and haystack[i : i + n] == phrase:
            return i
    return None
