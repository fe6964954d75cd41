"""The settings table (``docs/configuration.md``) and the code agree: every setting is in the
table once, every row is a setting, and each default written there is the code's (one source:
the code)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import cast

import pydantic
import pytest

from signaling.settings import INTO, Settings, _get

ROOT = Path(__file__).resolve().parents[2]
COMPUTED = {"LENS_MODEL_DIR": "`~/.cache/interview-lens/models`"}
"""Defaults made at start (the user's cache), written as the docs show them."""


def documented() -> dict[str, str]:
    text = (ROOT / "docs" / "configuration.md").read_text()
    table = text[text.index("## Configuration") : text.index("## Model files")]
    rows = re.findall(r"^\| `(LENS_[A-Z0-9_]+)`([^|]*)\| ([^|]*) \|", table, re.M)
    named = [name for name, _, _ in rows]
    twice = sorted({name for name in named if named.count(name) > 1})
    assert twice == [], f"settings with more than one row: {twice}"
    assert all(not more.strip() for _, more, _ in rows), "one setting a row"
    return {name: default.strip() for name, _, default in rows}


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
    assert sorted(set(code) - set(docs)) == [], "settings missing from the table"
    assert sorted(set(docs) - set(code)) == [], "rows of the table that are no setting"
    differ = {
        name: (docs[name], code[name])
        for name in code
        if docs[name] != code[name] and docs[name] != f"`{code[name].strip('`')}.0`"
    }
    assert differ == {}, f"the table's default against the code's: {differ}"


def test_every_component_setting_reaches_its_parameter() -> None:
    """Each setting declared with ``param`` defaults to its component's parameter and, when
    set, is that parameter in ``Settings.pipeline()`` (no hand-written mapping to forget)."""
    defaults = Settings.model_construct().pipeline()  # defaults only, not this environment
    changed: dict[str, object] = {}
    for name, info in Settings.model_fields.items():
        extra = info.json_schema_extra
        if not isinstance(extra, dict) or INTO not in extra:
            continue
        paths = [str(p).split(".") for p in cast(list[str], extra[INTO])]
        for path in paths:
            assert _get(defaults, path) == info.default, f"{name}'s default is {path}'s"
        if isinstance(info.default, bool):
            changed[name] = not info.default
        elif isinstance(info.default, int | float) and name not in CONSTRAINED:
            changed[name] = info.default + 20 if isinstance(info.default, int) else 0.5
    changed.update(CONSTRAINED)
    config = Settings(**changed).pipeline()  # type: ignore[arg-type]
    wrong = {}
    for name, value in changed.items():
        extra = Settings.model_fields[name].json_schema_extra
        assert isinstance(extra, dict)
        for dotted in cast(list[str], extra[INTO]):
            got = _get(config, dotted.split("."))
            if got != value:
                wrong[f"{name} -> {dotted}"] = (value, got)
    assert len(changed) >= 40, f"only {len(changed)} component settings were tried"
    assert wrong == {}, f"setting -> parameter: (set, found): {wrong}"


CONSTRAINED: dict[str, object] = {
    "audio_window_ms": 40,
    "audio_batch_ms": 60,
    "audio_ptime": 40,
    "vad_aggressiveness": 1,
    "language": "cmn",
    "vad_hold": 0.4,
    "vad_threshold": 0.6,
    "expression_backend": "none",
    "transcript": False,
    "nudge_level_min_dbfs": -30.0,
    "max_analysis_width": 320,
    "asr_workers": 2,
}
"""Settings whose values a plain shift would put out of range, set by hand."""


@pytest.mark.parametrize(
    "value", ["notaurl", "file:///etc/passwd", "ftp://models.example/v1", "http://"]
)
def test_a_language_model_url_that_is_no_http_url_stops_the_server(
    value: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``LENS_LLM_URL=notaurl`` was taken, turned ``llm: true`` on, and every review failed."""
    monkeypatch.setenv("LENS_LLM_URL", value)
    with pytest.raises(pydantic.ValidationError, match="must be an http:// or https:// URL"):
        Settings()


def test_an_empty_language_model_url_means_none(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LENS_LLM_URL", "")
    assert Settings().llm_url is None
    monkeypatch.setenv("LENS_LLM_URL", "http://127.0.0.1:8081/v1")
    assert Settings().llm_url == "http://127.0.0.1:8081/v1"


@pytest.mark.parametrize(
    "name", ["DRAIN_TIMEOUT", "BODY_TIMEOUT", "SESSION_TTL", "MAX_UPLOAD_SECONDS", "LLM_TIMEOUT"]
)
@pytest.mark.parametrize("value", ["inf", "-inf", "nan"])
def test_no_setting_is_infinite(name: str, value: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """``LENS_MAX_UPLOAD_SECONDS=inf`` was taken: a limit that never holds."""
    monkeypatch.setenv(f"LENS_{name}", value)
    with pytest.raises(pydantic.ValidationError, match="finite number"):
        Settings()
