"""``make catalogs``: extract every message from the code into ``<domain>.pot`` and merge it
into each language's ``.po`` (new messages empty, gone ones dropped), so a translator only
fills in ``msgstr``. ``python -m locales.update --check`` fails when a catalog is behind the
code or a message has no translation (the tests run it)."""

from __future__ import annotations

import argparse
import io
import re
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

from locales import DEFAULT, HERE

ROOT = HERE.parent
ERRORS = (
    "ApiError InvalidJson InvalidOffer InvalidSdp NoMedia MissingDataChannel OfferRejected "
    "PayloadTooLarge RequestTimeout SessionConflict NotFound SessionExpired ReportNotReady "
    "ServiceUnavailable InvalidRequest InvalidMedia Draining ServerFull TooManyTracks "
    "RateLimited CorsForbidden Unauthorized Forbidden"
).split()
KEYWORDS: dict[str, dict[str, tuple[int, ...] | None]] = {
    "lens": {
        "_": None,
        "N_": None,
        "gettext": None,
        "amount": (2,),  # signaling.pages.format.amount(value, "{n} s")
        "Error": (4,),  # a data channel error: (session, t, code, message)
        **{name: None for name in ERRORS},
    },
    "page": {"t": None},
}


def _method_map(domain: str) -> tuple[list[tuple[str, str]], dict[str, dict[str, str]]]:
    methods, options = [], {}
    section = None
    for line in (HERE / f"{domain}.cfg").read_text().splitlines():
        line = line.strip()
        if line.startswith("[") and line.endswith("]"):
            method, _, pattern = line[1:-1].partition(":")
            section = pattern.strip()
            methods.append((section, method.strip()))
            options[section] = {"extensions": "jinja2.ext.i18n"} if method == "jinja2" else {}
    return methods, options


def extract(domain: str) -> Catalog:
    """Every message of ``domain`` in the code, sorted, without source lines (so a moved line
    does not change the catalogs)."""
    methods, options = _method_map(domain)
    catalog = Catalog(project="Interview Lens", domain=domain, charset="utf-8")
    for _file, _line, message, comments, context in extract_from_dir(
        ROOT, methods, options, keywords=KEYWORDS[domain], strip_comment_tags=True
    ):
        if isinstance(message, tuple):
            message = message[0]
        if message:
            catalog.add(message, None, [], auto_comments=comments, context=context)
    return catalog


def _po(path: Path, locale: str, domain: str) -> Catalog:
    if not path.is_file():
        return Catalog(locale=locale, domain=domain)
    with path.open("rb") as po:
        return read_po(po, locale=locale, domain=domain)


def _write(catalog: Catalog, path: Path) -> bytes:
    out = io.BytesIO()
    write_po(out, catalog, width=100, omit_header=False, sort_output=True, no_location=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    return out.getvalue()


FIELD = re.compile(r"\{(\w*)\}")


def update(check: bool, add: str | None = None) -> list[str]:
    """Bring every catalog up to the code (``check``: change nothing); what is wrong, in
    words: a catalog behind the code, a message without a translation, or a translation whose
    ``{fields}`` differ from its message's."""
    locales = sorted(p.name for p in HERE.iterdir() if (p / "LC_MESSAGES").is_dir())
    if add:
        locales.append(add)
    problems = []
    for domain in ("lens", "page"):
        template = extract(domain)
        pot = _write(template, HERE / f"{domain}.pot")
        if not check:
            (HERE / f"{domain}.pot").write_bytes(pot)
        for locale in locales:
            if locale == DEFAULT:
                continue
            path = HERE / locale / "LC_MESSAGES" / f"{domain}.po"
            catalog = _po(path, locale, domain)
            catalog.update(template, no_fuzzy_matching=True)
            catalog.obsolete.clear()
            for m in catalog:
                if not m.id:
                    continue
                if not m.string:
                    problems.append(f"{locale}/{domain}: no translation for {m.id!r}")
                elif sorted(FIELD.findall(str(m.id))) != sorted(FIELD.findall(str(m.string))):
                    problems.append(
                        f"{locale}/{domain}: the fields of {m.string!r} differ from {m.id!r}"
                    )
            text = _write(catalog, path)
            if check:
                before = path.read_bytes() if path.is_file() else b""
                if _body(before) != _body(text):
                    problems.append(f"{path.relative_to(ROOT)} is behind the code: make catalogs")
            else:
                path.write_bytes(text)
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="change nothing; fail if behind")
    parser.add_argument("--add", metavar="LOCALE", help="start a catalog for a new language")
    args = parser.parse_args()
    problems = update(args.check, args.add)
    for problem in problems:
        print(problem, file=sys.stderr)
    return 1 if problems and args.check else 0


def _body(po: bytes) -> bytes:
    """A catalog without its header (dates change on every run)."""
    return po.split(b"\n\n", 1)[-1]


if __name__ == "__main__":
    sys.exit(main())
