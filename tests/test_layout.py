"""The layout is the architecture: each package imports only what its place allows, and says
what it owns. A failure names the module and the import that crossed a line."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

FORBIDDEN = {
    # Pure analysis: arrays in, typed results out.
    "analyzers": {
        "asyncio",
        "aiortc",
        "aioice",
        "av",
        "aiohttp",
        "redis",
        "subprocess",
        "urllib",
        "multiprocessing",
        "webrtc",
        "signaling",
        "modelfiles",
    },
    "modelfiles": {"asyncio", "aiortc", "aiohttp", "webrtc", "signaling"},
    # The catalogs: words, nothing else.
    "locales": {"asyncio", "aiortc", "aiohttp", "analyzers", "webrtc", "signaling", "modelfiles"},
    # The analysis runtime moves frames and results; it knows no WebRTC and no HTTP.
    "webrtc/runtime": {"aiortc", "aioice", "aiohttp", "signaling", "webrtc.peer"},
    "webrtc": {"aiohttp", "signaling", "redis"},
    # The services are what the API does, not how HTTP carries it.
    "signaling/services": {"aiohttp", "signaling.http", "signaling.pages"},
    # The HTTP edge carries requests to the services; it knows no analysis and fetches nothing.
    "signaling/http": {"analyzers", "modelfiles", "aiortc"},
    "signaling/storage": {"aiohttp", "aiortc", "signaling.http", "signaling.services"},
    "signaling/pages": {"aiohttp", "aiortc", "signaling.http", "signaling.services"},
}
IGNORED = {"webrtc/hooks.py"}  # names the session type only for type checking


IMPORT = re.compile(r"^\s*(?:from\s+([\w.]+)\s+import\b|import\s+([\w.]+(?:\s*,\s*[\w.]+)*))", re.M)
DOCSTRING = re.compile(r'\A\s*(?:"""|\'\'\')(.*?)(?:"""|\'\'\')', re.S)


def imports(path: Path) -> list[tuple[int, str]]:
    """``(line, module)`` of every absolute import, read as text (the ``ast`` module of some
    Python 3.11 releases fails on a file after a RecursionError elsewhere in the process)."""
    text = path.read_text()
    found = []
    for match in IMPORT.finditer(text):
        line = text.count("\n", 0, match.start()) + 1
        if match.group(1):
            if not match.group(1).startswith("."):
                found.append((line, match.group(1)))
        else:
            found += [(line, name.strip()) for name in match.group(2).split(",")]
    return found


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_each_package_imports_only_what_its_place_allows(package: str) -> None:
    crossed = []
    for path in sorted((ROOT / package).rglob("*.py")):
        name = path.relative_to(ROOT).as_posix()
        if name in IGNORED:
            continue
        for line, module in imports(path):
            for banned in FORBIDDEN[package]:
                if module == banned or module.startswith(banned + "."):
                    crossed.append(f"{name}:{line} imports {module}")
    assert crossed == [], "\n".join(crossed)


def test_every_package_says_what_it_owns() -> None:
    silent = []
    for init in sorted(ROOT.glob("*/**/__init__.py")):
        name = init.relative_to(ROOT).as_posix()
        if name.startswith((".", "tests/")) or "/." in name:
            continue
        docstring = DOCSTRING.match(init.read_text())
        if not docstring or len(docstring.group(1).strip()) < 40:
            silent.append(name)
    assert silent == [], f"packages without a docstring that says what they own: {silent}"


@pytest.mark.parametrize(
    "package",
    [
        "analyzers.video",
        "analyzers.voice",
        "analyzers.words",
        "analyzers.session",
        "analyzers.interview",
        "webrtc.peer",
        "webrtc.runtime",
        "signaling.services",
        "signaling.storage",
        "signaling.http",
        "signaling.pages",
        "modelfiles",
    ],
)
def test_each_package_exports_its_public_names(package: str) -> None:
    """Every name a package's ``__init__`` exports is there (imported when first used)."""
    module = importlib.import_module(package)
    names = getattr(module, "__all__", [])
    assert names, f"{package} exports nothing"
    missing = [name for name in names if getattr(module, name, None) is None]
    assert missing == [], f"{package} exports names it does not have: {missing}"
