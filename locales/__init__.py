"""The words a person reads, in their language: Babel message catalogs kept in this package.

Two catalogs (domains) per locale, ``<locale>/LC_MESSAGES/<domain>.po``:

- ``lens``: what the server writes (pages, nudges, feedback, advice, verdicts, reports, error
  messages), extracted from the Python code and the templates;
- ``page``: the page scripts' own strings (``static/js``), which the page receives as one JSON
  catalog.

English is the source language: a message id is its English text, with ``{name}`` fields filled
in after translation. The ``.po`` files are compiled when first used, so a translator edits a
``.po`` and restarts the server; ``docs/translating.md`` says how to add a language.
"""

from __future__ import annotations

import gettext
import io
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from babel.core import Locale, UnknownLocaleError, negotiate_locale
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

__all__ = [
    "DEFAULT",
    "LOCALES",
    "N_",
    "Translator",
    "_",
    "activate",
    "current",
    "from_accept_language",
    "locale_of_language",
    "page_catalog",
    "pick",
    "translator",
]

HERE = Path(__file__).parent
DEFAULT = "en"


def _found() -> tuple[str, ...]:
    """The source language and every locale with a catalog in this package."""
    shipped = sorted(p.name for p in HERE.iterdir() if (p / "LC_MESSAGES" / "lens.po").is_file())
    return (DEFAULT, *[code for code in shipped if code != DEFAULT])


LOCALES: tuple[str, ...] = _found()
"""Every locale Lens can show (``en`` first: the source language)."""


def N_(message: str) -> str:
    """Marks a message for the catalogs where it is written (a table of labels); it is
    translated where it is shown."""
    return message


@cache
def _compiled(locale: str, domain: str) -> gettext.NullTranslations:
    path = HERE / locale / "LC_MESSAGES" / f"{domain}.po"
    if locale == DEFAULT or not path.is_file():
        return gettext.NullTranslations()
    with path.open("rb") as po:
        catalog = read_po(po, locale=locale, domain=domain)
    mo = io.BytesIO()
    write_mo(mo, catalog, use_fuzzy=False)
    mo.seek(0)
    return gettext.GNUTranslations(mo)


@dataclass(frozen=True)
class Translator:
    """The catalog of one locale: ``words("You spoke for {time}", time=...)``."""

    locale: str

    def gettext(self, message: str) -> str:
        return _compiled(self.locale, "lens").gettext(message) if message else message

    def __call__(self, message: str, **fields: Any) -> str:
        text = self.gettext(message)
        return text.format(**fields) if fields else text


def translator(locale: str | None) -> Translator:
    """The catalog of ``locale``, or of English when Lens has none for it."""
    return Translator(pick(locale) or DEFAULT)


_active: ContextVar[str] = ContextVar("lens_locale", default=DEFAULT)


def current() -> str:
    """The locale of the words being written now (a request's, a page's)."""
    return _active.get()


@contextmanager
def activate(locale: str | None) -> Iterator[str]:
    """Write in ``locale`` inside the block (a request, a page rendered to a file)."""
    chosen = pick(locale) or DEFAULT
    token = _active.set(chosen)
    try:
        yield chosen
    finally:
        _active.reset(token)


def _(message: str, **fields: Any) -> str:
    """``message`` in the active locale, ``{fields}`` filled in."""
    return translator(_active.get())(message, **fields)


def pick(asked: str | None) -> str | None:
    """The locale Lens has for ``asked`` (``zh``, ``zh-CN``, ``zh_Hans`` all give ``zh``), or
    ``None``."""
    if not asked or len(asked) > 35:
        return None
    try:
        parsed = Locale.parse(asked.strip().replace("-", "_"))
    except (ValueError, UnknownLocaleError):
        return None
    return parsed.language if parsed.language in LOCALES else None


def from_accept_language(header: str | None) -> str | None:
    """The best locale Lens has for an ``Accept-Language`` header, or ``None``."""
    if not header:
        return None
    asked: list[tuple[float, str]] = []
    for part in header[:512].split(","):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                continue
        if tag and tag != "*":
            asked.append((quality, tag.strip().replace("-", "_")))
    ordered = [tag for quality, tag in sorted(asked, key=lambda a: -a[0]) if quality > 0]
    found = negotiate_locale(ordered, list(LOCALES), sep="_")
    return pick(found) if found else next(filter(None, map(pick, ordered)), None)


def locale_of_language(language: str | None) -> str:
    """The locale of the words for a spoken or interview language (``cmn``, ``zh``: ``zh``)."""
    if language and language.lower().startswith(("zh", "cmn", "yue")) and "zh" in LOCALES:
        return "zh"
    return DEFAULT


@cache
def page_catalog(locale: str) -> dict[str, str]:
    """The page scripts' catalog for ``locale``: English text to its translation (empty for
    English)."""
    path = HERE / locale / "LC_MESSAGES" / "page.po"
    if locale == DEFAULT or not path.is_file():
        return {}
    with path.open("rb") as po:
        catalog = read_po(po, locale=locale, domain="page")
    return {
        str(m.id): str(m.string)
        for m in catalog
        if m.id and isinstance(m.id, str) and m.string and not m.fuzzy
    }
