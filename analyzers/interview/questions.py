"""Question sets: the shipped ones (English and Chinese: general and behavioural, software
engineer, product manager, sales, customer support) and an operator's own, as JSON files.

A file holds one language's sets::

    {"language": "en",
     "sets": [{"role": "general", "title": "General and behavioural",
               "questions": [{"id": "gen-about", "text": "Tell me about yourself.",
                              "seconds": 90, "covers": ["your current role", "..."]}]}]}

``seconds`` is the recommended answer length, ``covers`` what a good answer covers (both
optional). Files are checked when they are read: :class:`QuestionFileError` names the file, the
place in it and what is wrong. An operator's set with the same language and role as a shipped one
replaces it. Question text is data the operator controls: every page escapes it.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SHIPPED = Path(__file__).with_name("sets")
LANGUAGES = ("en", "zh")
MAX_TEXT = 500
MAX_COVERS = 8
DEFAULT_SECONDS = 120


class QuestionFileError(ValueError):
    """A question file or an interview's questions that cannot be used; the message says where
    and why."""


@dataclass(frozen=True)
class Question:
    id: str
    text: str
    seconds: int = DEFAULT_SECONDS
    """The recommended answer length."""
    covers: tuple[str, ...] = ()
    """What a good answer covers."""


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
    unknown = set(data) - {"id", "text", "seconds", "covers"}
    if unknown:
        raise QuestionFileError(f"{where}: unknown field(s) {sorted(unknown)}")
    text = data.get("text")
    if not isinstance(text, str) or not text.strip() or len(text) > MAX_TEXT:
        raise QuestionFileError(f"{where}.text: a non-empty string of at most {MAX_TEXT} chars")
    seconds = data.get("seconds", DEFAULT_SECONDS)
    if not isinstance(seconds, int) or isinstance(seconds, bool) or not 10 <= seconds <= 600:
        raise QuestionFileError(f"{where}.seconds: whole seconds from 10 to 600")
    covers = data.get("covers", [])
    if (
        not isinstance(covers, list)
        or len(covers) > MAX_COVERS
        or not all(isinstance(c, str) and 0 < len(c) <= 200 for c in covers)
    ):
        raise QuestionFileError(f"{where}.covers: at most {MAX_COVERS} short strings")
    qid = data.get("id", "")
    if not isinstance(qid, str) or len(qid) > 64:
        raise QuestionFileError(f"{where}.id: a string of at most 64 characters")
    return Question(qid or f"q-{abs(hash(text)) % 10**8}", text.strip(), seconds, tuple(covers))


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
