"""Question sets: the shipped ones (English and Chinese: general and behavioural, software
engineer, product manager, sales, customer support) and an operator's own, as JSON files.

A file holds one language's sets::

    {"language": "en",
     "sets": [{"role": "general", "title": "General and behavioural",
               "questions": [{"id": "gen-about", "text": "Tell me about yourself.",
                              "seconds": 90, "story": false,
                              "looking_for": "A short, relevant summary of ...",
                              "covers": [{"point": "why this job now",
                                          "words": ["this role", "next step", "..."]}],
                              "outline": ["Present: ...", "Past: ...", "Future: ..."],
                              "mistakes": ["Reciting your CV from school onwards.", "..."]}]}]}

Only ``text`` is required. ``seconds`` is the recommended answer length; ``story`` whether the
question asks for a story (situation, task, action, result: behavioural questions; guessed from
the wording when not given); the rest is the question's **guide**: what the interviewer is
looking for, the key points a good answer ``covers`` (each a ``point`` and the ``words`` that
show it was touched: plain words or phrases, matched on their stems; a bare string is a point
matched on its own words), the ``outline`` of a strong answer and common ``mistakes``. Files are
checked when they are read: :class:`QuestionFileError` names the file, the place in it and what
is wrong. An operator's set with the same language and role as a shipped one replaces it.
Question and guide text are data the operator controls: every page escapes them.
"""

from __future__ import annotations

import json
import random
import re
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SHIPPED = Path(__file__).with_name("sets")
LANGUAGES = ("en", "zh")
MAX_TEXT = 500
MAX_COVERS = 8
MAX_WORDS = 40
MAX_LINES = 6
MAX_LINE = 300
DEFAULT_SECONDS = 120
STORY_PARTS = ("situation", "task", "action", "result")
FIELDS = frozenset(
    {"id", "text", "seconds", "story", "looking_for", "covers", "outline", "mistakes"}
)
STORY_WORDING = re.compile(
    r"\b(a time|an example|tell me about (a|the|an)|describe (a|the)|walk me through)\b"
    r"|讲一次|讲讲|经历|例子|介绍一个",
    re.IGNORECASE,
)
"""Wording that asks for a story, for questions that do not say (``story``)."""


class QuestionFileError(ValueError):
    """A question file or an interview's questions that cannot be used; the message says where
    and why."""


@dataclass(frozen=True)
class KeyPoint:
    point: str
    """What a good answer covers, in a few words."""
    words: tuple[str, ...] = ()
    """Words and phrases that show it was touched (none: the point's own words)."""
    part: str | None = None
    """The part of a story it is (``situation``, ``task``, ``action``, ``result``): heard that
    part, the point is touched too."""


@dataclass(frozen=True)
class Question:
    id: str
    text: str
    seconds: int = DEFAULT_SECONDS
    """The recommended answer length."""
    covers: tuple[KeyPoint, ...] = ()
    """What a good answer covers."""
    story: bool | None = None
    """Whether it asks for a story (``None``: guessed from the wording, :attr:`asks_story`)."""
    looking_for: str = ""
    """What the interviewer is looking for."""
    outline: tuple[str, ...] = ()
    """The shape of a strong answer, step by step."""
    mistakes: tuple[str, ...] = ()
    """Common mistakes."""

    @property
    def asks_story(self) -> bool:
        return self.story if self.story is not None else bool(STORY_WORDING.search(self.text))

    @property
    def points(self) -> tuple[str, ...]:
        return tuple(k.point for k in self.covers)

    @property
    def has_guide(self) -> bool:
        return bool(self.looking_for or self.outline or self.mistakes or self.covers)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Question:
        """A question as :func:`dataclasses.asdict` stored it (reports older than guides
        included: their ``covers`` are strings)."""
        return cls(
            data["id"],
            data["text"],
            int(data.get("seconds", DEFAULT_SECONDS)),
            tuple(_key_point(c) for c in data.get("covers") or ()),
            data.get("story"),
            data.get("looking_for", ""),
            tuple(data.get("outline") or ()),
            tuple(data.get("mistakes") or ()),
        )


def _not_unicode(data: Any, where: str = "") -> str | None:
    """Where in ``data`` a string is not text that can be written out (a lone surrogate, which
    JSON allows and UTF-8 does not), ``None`` when every string is."""
    if isinstance(data, str):
        try:
            data.encode("utf-8")
        except UnicodeEncodeError:
            return where or "text"
        return None
    if isinstance(data, dict):
        items: Any = data.items()
    elif isinstance(data, list):
        items = enumerate(data)
    else:
        return None
    for key, value in items:
        name = f"{where}[{key}]" if isinstance(key, int) else f"{where}.{key}".lstrip(".")
        if (bad := _not_unicode(value, name)) is not None:
            return bad
    return None


def _key_point(data: Any) -> KeyPoint:
    if isinstance(data, str):
        return KeyPoint(data)
    return KeyPoint(data["point"], tuple(data.get("words") or ()), data.get("part"))


def _lines(data: Any, where: str, name: str) -> tuple[str, ...]:
    found = data.get(name, [])
    if (
        not isinstance(found, list)
        or len(found) > MAX_LINES
        or not all(isinstance(c, str) and 0 < len(c.strip()) <= MAX_LINE for c in found)
    ):
        raise QuestionFileError(
            f"{where}.{name}: at most {MAX_LINES} strings of at most {MAX_LINE} characters"
        )
    return tuple(c.strip() for c in found)


def _covers(data: Any, where: str) -> tuple[KeyPoint, ...]:
    covers = data.get("covers", [])
    if not isinstance(covers, list) or len(covers) > MAX_COVERS:
        raise QuestionFileError(f"{where}.covers: a list of at most {MAX_COVERS} key points")
    found = []
    for i, c in enumerate(covers):
        at = f"{where}.covers[{i}]"
        if isinstance(c, str):
            c = {"point": c}
        if not isinstance(c, dict) or set(c) - {"point", "words", "part"}:
            raise QuestionFileError(f"{at}: a string, or an object with 'point' and 'words'")
        part = c.get("part")
        if part is not None and part not in STORY_PARTS:
            raise QuestionFileError(f"{at}.part: one of {list(STORY_PARTS)}")
        point, words = c.get("point"), c.get("words", [])
        if not isinstance(point, str) or not 0 < len(point.strip()) <= 200:
            raise QuestionFileError(f"{at}.point: a string of at most 200 characters")
        if (
            not isinstance(words, list)
            or len(words) > MAX_WORDS
            or not all(isinstance(w, str) and 0 < len(w.strip()) <= 60 for w in words)
        ):
            raise QuestionFileError(f"{at}.words: at most {MAX_WORDS} short words or phrases")
        found.append(KeyPoint(point.strip(), tuple(w.strip() for w in words), part))
    return tuple(found)


@dataclass(frozen=True)
class QuestionSet:
    language: str
    role: str
    title: str
    questions: tuple[Question, ...]


def question(data: Any, where: str) -> Question:
    """One question from JSON, checked."""
    if isinstance(data, str):
        data = {"text": data}
    if not isinstance(data, dict):
        raise QuestionFileError(f"{where}: a question is an object with a 'text'")
    unknown = set(data) - FIELDS
    if unknown:
        raise QuestionFileError(f"{where}: unknown field(s) {sorted(unknown)}")
    if (bad := _not_unicode(data)) is not None:
        raise QuestionFileError(f"{where}.{bad}: not valid Unicode text (a lone surrogate)")
    text = data.get("text")
    if not isinstance(text, str) or not text.strip() or len(text) > MAX_TEXT:
        raise QuestionFileError(f"{where}.text: a non-empty string of at most {MAX_TEXT} chars")
    seconds = data.get("seconds", DEFAULT_SECONDS)
    if not isinstance(seconds, int) or isinstance(seconds, bool) or not 10 <= seconds <= 600:
        raise QuestionFileError(f"{where}.seconds: whole seconds from 10 to 600")
    qid = data.get("id", "")
    if not isinstance(qid, str) or len(qid) > 64:
        raise QuestionFileError(f"{where}.id: a string of at most 64 characters")
    story = data.get("story")
    if story is not None and not isinstance(story, bool):
        raise QuestionFileError(f"{where}.story: true or false")
    looking_for = data.get("looking_for", "")
    if not isinstance(looking_for, str) or len(looking_for) > MAX_LINE:
        raise QuestionFileError(f"{where}.looking_for: a string of at most {MAX_LINE} chars")
    return Question(
        qid or f"q-{zlib.crc32(text.encode()) % 10**8}",  # the same in every process
        text.strip(),
        seconds,
        _covers(data, where),
        story,
        looking_for.strip(),
        _lines(data, where, "outline"),
        _lines(data, where, "mistakes"),
    )


def parse_file(data: Any, where: str) -> list[QuestionSet]:
    """The sets of one question file's JSON, checked."""
    if not isinstance(data, dict) or not isinstance(data.get("sets"), list):
        raise QuestionFileError(f"{where}: an object with 'language' and a list of 'sets'")
    language = data.get("language")
    if language not in LANGUAGES:
        raise QuestionFileError(f"{where}.language: one of {list(LANGUAGES)}, not {language!r}")
    sets = []
    for i, raw in enumerate(data["sets"]):
        at = f"{where}.sets[{i}]"
        if not isinstance(raw, dict):
            raise QuestionFileError(f"{at}: an object with 'role' and 'questions'")
        role, title = raw.get("role"), raw.get("title", raw.get("role"))
        if not isinstance(role, str) or not role or len(role) > 64 or not role.isidentifier():
            raise QuestionFileError(f"{at}.role: a short name of letters, digits and _")
        if not isinstance(title, str) or len(title) > 100:
            raise QuestionFileError(f"{at}.title: a string of at most 100 characters")
        items = raw.get("questions")
        if not isinstance(items, list) or not items:
            raise QuestionFileError(f"{at}.questions: a non-empty list")
        found = tuple(question(q, f"{at}.questions[{j}]") for j, q in enumerate(items))
        ids = [q.id for q in found]
        if len(set(ids)) != len(ids):
            raise QuestionFileError(f"{at}.questions: two questions share an id")
        sets.append(QuestionSet(language, role, title, found))
    return sets


def read_file(path: Path) -> list[QuestionSet]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise QuestionFileError(f"{path}: not a readable JSON file ({exc})") from None
    return parse_file(data, str(path))


class QuestionBank:
    """Every question set by (language, role)."""

    def __init__(self, sets: list[QuestionSet]) -> None:
        self.sets = {(s.language, s.role): s for s in sets}

    @classmethod
    def load(cls, folder: Path | None = None) -> QuestionBank:
        """The shipped sets, and the ``*.json`` files of ``folder`` over them."""
        sets = [s for path in sorted(SHIPPED.glob("*.json")) for s in read_file(path)]
        if folder is not None:
            if not folder.is_dir():
                raise QuestionFileError(f"{folder}: not a folder of question files")
            sets += [s for path in sorted(folder.glob("*.json")) for s in read_file(path)]
        return cls(sets)

    def roles(self, language: str) -> list[tuple[str, str]]:
        """(role, title) of each set in ``language``."""
        return [(s.role, s.title) for (lang, _), s in self.sets.items() if lang == language]

    def pick(self, language: str, role: str, count: int, seed: str) -> tuple[Question, ...]:
        """``count`` questions for ``role``: the general opener first, then the role's own in
        an order drawn from ``seed`` (the same session always gets the same), then general
        ones when the role has too few."""
        general = self.sets.get((language, "general"))
        own = self.sets.get((language, role))
        if own is None:
            known = sorted(r for r, _ in self.roles(language))
            raise QuestionFileError(f"no question set for role {role!r} in {language!r}: {known}")
        rng = random.Random(seed)
        opener = general.questions[:1] if general else ()
        rest = list(own.questions if role != "general" else own.questions[1:])
        rng.shuffle(rest)
        extra = list(general.questions[1:]) if general and role != "general" else []
        rng.shuffle(extra)
        chosen = [*opener, *rest, *extra][:count]
        return tuple(chosen)
