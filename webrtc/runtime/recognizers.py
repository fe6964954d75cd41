"""The speech recognisers of a process: the local models (one per model directory, their
calls batched when ``asr_batch`` > 1), or a remote recogniser (``asr_url``) that falls back on
them."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from analyzers.words.batching import Rendezvous
from analyzers.words.recognition import SpeechRecognizer, WhisperRecognizer
from webrtc.recognition.client import RemoteRecognizer
from webrtc.runtime.config import PipelineConfig

Recognizers = Callable[[str], SpeechRecognizer]
"""The recogniser for a language family (``en``, ``zh``), made when first asked for."""


def local_recognizers(config: PipelineConfig) -> tuple[Recognizers, Rendezvous | None]:
    """The local models, and the rendezvous that batches their calls (``None``: one call at
    a time)."""
    rendezvous = Rendezvous(max_batch=config.asr_batch) if config.asr_batch > 1 else None
    made: dict[Path, WhisperRecognizer] = {}

    def recognizer(family: str) -> WhisperRecognizer:
        """The model for ``family`` (``zh``: LENS_ASR_MODEL_ZH when the main one is English
        only); one instance per model directory."""
        folder = config.asr_dir(family)
        assert folder is not None
        if folder not in made:
            made[folder] = WhisperRecognizer(
                folder, cpu_threads=1, rendezvous=rendezvous, window=config.asr_window
            )
        return made[folder]

    return recognizer, rendezvous


def recognizers(config: PipelineConfig) -> tuple[Recognizers, Rendezvous | None]:
    """What the transcription pool recognises with: ``asr_url`` when set (each family its
    client, falling back on the local model), else the local models."""
    local, rendezvous = local_recognizers(config)
    if config.asr_url is None:
        return local, rendezvous
    url = config.asr_url
    remote: dict[str, RemoteRecognizer] = {}

    def recognizer(family: str) -> RemoteRecognizer:
        if family not in remote:
            folder = config.asr_dir(family)
            remote[family] = RemoteRecognizer(
                url,
                config.asr_remote_model or (folder.name if folder else "whisper-1"),
                timeout=config.asr_timeout,
                fallback=lambda: local(family),
            )
        return remote[family]

    return recognizer, rendezvous
