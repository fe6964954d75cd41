"""The README's settings table and the code agree: every setting is in the table, every row is a
setting, and each default written there is the code's (one source: the code)."""

from __future__ import annotations

import re
from pathlib import Path

from signaling.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
COMPUTED = {"LENS_MODEL_DIR": "`~/.cache/interview-lens/models`"}
"""Defaults made at start (the user's cache), written as the docs show them."""


def documented() -> dict[str, str]:
    readme = (ROOT / "README.md").read_text()
    table = readme[readme.index("## Configuration") : readme.index("## Model files")]
    rows = re.findall(r"^\| `(LENS_[A-Z0-9_]+)` \| ([^|]*) \|", table, re.M)
    return {name: default.strip() for name, default in rows}


def written(default: object) -> str:
    """A default as the table writes it."""
    if default is None:
        return "unset"
    if default == "":
        return "empty"
    if isinstance(default, bool):
        return f"`{str(default).lower()}`"
    if isinstance(default, float) and default.is_integer():
        return f"`{int(default)}`"
    return f"`{default}`"


def test_every_setting_is_documented_with_its_default() -> None:
    docs = documented()
    code = {
        f"LENS_{name.upper()}": COMPUTED.get(f"LENS_{name.upper()}")
        or written(field.get_default(call_default_factory=False))
        for name, field in Settings.model_fields.items()
    }
    assert sorted(set(code) - set(docs)) == [], "settings missing from README's table"
    assert sorted(set(docs) - set(code)) == [], "rows of README's table that are no setting"
    differ = {
        name: (docs[name], code[name])
        for name in code
        if docs[name] != code[name] and docs[name] != f"`{code[name].strip('`')}.0`"
    }
    assert differ == {}, f"README's default against the code's: {differ}"
