"""The templates of the pages (``templates/``), with autoescaping on and the formatting filters
of :mod:`.format`: the same environment for the server (through ``aiohttp_jinja2``) and for a
report written to a file (``server.py analyze``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup, escape

import locales
from signaling.pages.format import FILTERS

TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).resolve().parents[2] / "static"
STYLESHEET = Path(__file__).resolve().parents[2] / "static" / "css" / "report.css"


def environment_options() -> dict[str, Any]:
    """What ``jinja2.Environment`` (or ``aiohttp_jinja2.setup``) is given."""
    return {
        # the templates, and the demo page (static/index.html), which is translated too
        "loader": jinja2.FileSystemLoader([TEMPLATES, STATIC]),
        "extensions": ["jinja2.ext.i18n"],
        "autoescape": jinja2.select_autoescape(["html"]),
        "undefined": jinja2.StrictUndefined,
        "trim_blocks": True,
        "lstrip_blocks": True,
    }


def setup(environment: jinja2.Environment) -> jinja2.Environment:
    """Filters, and the catalogs of :mod:`locales`: ``{{ _("Pace") }}`` writes in the active
    locale (a request's, set by ``signaling.http.app.locale_of_request``), fields as keywords:
    ``{{ _("{n} s long", n=seconds) }}``."""
    environment.filters.update(FILTERS)
    environment.globals.update(
        _=translate,
        gettext=translate,
        locale=locales.current,
        page_catalog=lambda: locales.page_catalog(locales.current()),
    )
    environment.policies["ext.i18n.trimmed"] = True
    return environment


def translate(message: str, **fields: Any) -> Markup:
    """A message in the active locale for a template: the translation is escaped, and so is
    every field but markup the template made itself
    (``{% set name %}<code>…</code>{% endset %}``)."""
    return Markup(escape(locales.translator(locales.current()).gettext(message))).format(**fields)


def environment() -> jinja2.Environment:
    """An environment of its own (pages rendered outside the server)."""
    return setup(jinja2.Environment(**environment_options()))


def standalone(template: str, context: dict[str, Any], locale: str | None = None) -> str:
    """A page that stands alone, as a file: its stylesheet inline, no scripts that need the
    server; in ``locale`` (else the active one)."""
    css = STYLESHEET.read_text()
    with locales.activate(locale or locales.current()):
        return (
            environment()
            .get_template(template)
            .render({**context, "inline_css": css, "standalone": True})
        )
