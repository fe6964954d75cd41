"""The templates of the pages (``templates/``), with autoescaping on and the formatting filters
of :mod:`.format`: the same environment for the server (through ``aiohttp_jinja2``) and for a
report written to a file (``server.py analyze``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jinja2

from signaling.pages.format import FILTERS

TEMPLATES = Path(__file__).parent / "templates"
STYLESHEET = Path(__file__).resolve().parents[2] / "static" / "css" / "report.css"


def environment_options() -> dict[str, Any]:
    """What ``jinja2.Environment`` (or ``aiohttp_jinja2.setup``) is given."""
    return {
        "loader": jinja2.FileSystemLoader(TEMPLATES),
        "autoescape": jinja2.select_autoescape(["html"]),
        "undefined": jinja2.StrictUndefined,
        "trim_blocks": True,
        "lstrip_blocks": True,
    }


def setup(environment: jinja2.Environment) -> jinja2.Environment:
    environment.filters.update(FILTERS)
    return environment


def environment() -> jinja2.Environment:
    """An environment of its own (pages rendered outside the server)."""
    return setup(jinja2.Environment(**environment_options()))


def standalone(template: str, context: dict[str, Any]) -> str:
    """A page that stands alone, as a file: its stylesheet inline, no scripts that need the
    server."""
    css = STYLESHEET.read_text()
    return (
        environment()
        .get_template(template)
        .render({**context, "inline_css": css, "standalone": True})
    )
