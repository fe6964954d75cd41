"""Who is speaking: a voice embedding per stretch of speech, and how many voices a recording
holds.

**The encoder** is Resemblyzer's (Apache-2.0): the GE2E speaker encoder of Wan et al. (2018,
"Generalized end-to-end loss for speaker verification"), three LSTM layers of 256 over 40 mel
bands of 1.6 s of audio, whose last hidden state goes through a linear layer and a ReLU to a
256-number embedding of unit length. Two stretches of one voice point the same way. Its weights
come out of the ``Resemblyzer`` wheel through the model registry and run here in numpy: the
checkpoint is read by a restricted unpickler that builds nothing but arrays (no torch).

**Voices** (:func:`voices`): each stretch of speech (an utterance) is the mean of the
embeddings of its 1.6 s windows (0.8 s apart). Two centres are found by 2-means on the cosine
over the stretches of at least 1.6 s, weighted by their length and started from the two least
alike (a short stretch's embedding is too noisy to steer them); each stretch then goes to its
nearest centre. A second voice is heard when the centres are less alike than
:data:`SAME_VOICE` and the smaller holds at least :data:`MIN_SHARE` and :data:`MIN_SECONDS` of
the speech; the voice heard most has the most seconds.
"""

from __future__ import annotations

import collections
import pickle
import struct
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import numpy as np

from analyzers import AUDIO_RATE
from analyzers.voice.mel import power_mel

BANDS = 40
N_FFT = 400
HOP = 160
PARTIAL_FRAMES = 160
"""1.6 s of 10 ms frames: what the encoder was trained on."""
STEP_FRAMES = 80
EMBEDDING = 256
MAX_WINDOWS = 4
"""An utterance's voice is the mean of at most this many windows, spread over it: the encoder
costs ~35 ms of CPU a window, and a longer utterance says no more about whose voice it is."""
TARGET_DBFS = -30.0
"""Quiet audio is raised to this level before embedding, as in training."""

SAME_VOICE = 0.75
"""Cosine between the two centres above which they are one voice."""
MIN_SHARE = 0.15
MIN_SECONDS = 3.0


# The checkpoint -----------------------------------------------------------------------------


@dataclass
class _Storage:
    key: str
    dtype: np.dtype[Any]
    size: int
    data: np.ndarray | None = None


@dataclass
class _Tensor:
    storage: _Storage
    offset: int
    shape: tuple[int, ...]
    stride: tuple[int, ...]

    def array(self) -> np.ndarray:
        assert self.storage.data is not None
        item = self.storage.data.itemsize
        return np.lib.stride_tricks.as_strided(
            self.storage.data[self.offset :],
            shape=self.shape,
            strides=tuple(s * item for s in self.stride),
        ).copy()


_DTYPES: dict[str, np.dtype[Any]] = {
    "FloatStorage": np.dtype("<f4"),
    "LongStorage": np.dtype("<i8"),
}


def _rebuild_tensor(storage: _Storage, offset: int, shape: tuple[int, ...],
                    stride: tuple[int, ...], *_: Any) -> _Tensor:  # fmt: skip
    return _Tensor(storage, offset, tuple(shape), tuple(stride))


class _Checkpoint(pickle.Unpickler):
    """Unpickles a legacy torch checkpoint into arrays; any class but the few a state dict
    holds is refused, so a hostile file cannot run code."""

    def __init__(self, file: IO[bytes]) -> None:
        super().__init__(file)
        self.storages: dict[str, _Storage] = {}

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) == ("torch._utils", "_rebuild_tensor_v2"):
            return _rebuild_tensor
        if module == "torch" and name in _DTYPES:
            return name
        if (module, name) == ("collections", "OrderedDict"):
            return collections.OrderedDict
        raise pickle.UnpicklingError(f"the checkpoint names {module}.{name}, which is not allowed")

    def persistent_load(self, pid: Any) -> _Storage:
        kind, storage_type, key, _location, size = pid[:5]
        if kind != "storage" or storage_type not in _DTYPES:
            raise pickle.UnpicklingError(f"unexpected storage {kind} {storage_type}")
        return self.storages.setdefault(str(key), _Storage(str(key), _DTYPES[storage_type], size))


def _arrays(value: Any) -> Any:
    if isinstance(value, _Tensor):
        return value.array()
    if isinstance(value, dict):
        return {k: _arrays(v) for k, v in value.items()}
    return value


def read_checkpoint(path: Path) -> dict[str, Any]:
    """A legacy (pre-zip) torch checkpoint's contents, tensors as numpy arrays."""
    with open(path, "rb") as file:
        for _ in range(3):  # magic number, protocol version, system info
            pickle.load(file)
        reader = _Checkpoint(file)
        contents = reader.load()
        keys = pickle.load(file)
        for key in keys:
            storage = reader.storages[str(key)]
            (count,) = struct.unpack("<q", file.read(8))
            raw = file.read(count * storage.dtype.itemsize)
            storage.data = np.frombuffer(raw, storage.dtype, count)
    result = _arrays(contents)
    if not isinstance(result, dict):
        raise ValueError(f"{path.name} holds no state dict")
    return result


# The encoder --------------------------------------------------------------------------------


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * x))


class VoiceEncoder:
    """Embeds 1.6 s stretches of 16 kHz speech (``path``: Resemblyzer's ``pretrained.pt``)."""

    def __init__(self, path: Path) -> None:
        state = read_checkpoint(path)["model_state"]
        self._layers = [
            (
                state[f"lstm.weight_ih_l{i}"].T.astype(np.float32),
                state[f"lstm.weight_hh_l{i}"].T.astype(np.float32),
                (state[f"lstm.bias_ih_l{i}"] + state[f"lstm.bias_hh_l{i}"]).astype(np.float32),
            )
            for i in range(3)
        ]
        self._linear = state["linear.weight"].T.astype(np.float32), state["linear.bias"]

    def partials(
        self, samples: np.ndarray, most: int | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Each 1.6 s window of ``samples`` (0.8 s apart; a clip shorter than one window is
        one, padded), or ``most`` of them spread evenly: their embeddings ``(n, 256)`` and
        their centres in seconds."""
        audio = np.asarray(samples, np.float32)
        level = 10 * np.log10(max(float(np.mean(audio.astype(np.float64) ** 2)), 1e-12))
        if level < TARGET_DBFS:
            audio = audio * np.float32(10 ** ((TARGET_DBFS - level) / 20))
        frames = power_mel(audio, BANDS, N_FFT, HOP).astype(np.float32)
        if frames.shape[0] < PARTIAL_FRAMES:
            frames = np.pad(frames, ((0, PARTIAL_FRAMES - frames.shape[0]), (0, 0)))
        starts = list(range(0, frames.shape[0] - PARTIAL_FRAMES + 1, STEP_FRAMES))
        if most is not None and len(starts) > most:
            starts = [starts[round(i)] for i in np.linspace(0, len(starts) - 1, most)]
        batch = np.stack([frames[s : s + PARTIAL_FRAMES] for s in starts])
        centres = np.array([(s + PARTIAL_FRAMES / 2) * HOP / AUDIO_RATE for s in starts])
        return self.embed(batch), centres

    def embed(self, mels: np.ndarray) -> np.ndarray:
        """``(n, 160, 40)`` mel power frames to ``(n, 256)`` unit embeddings."""
        x = mels.astype(np.float32)
        for w_ih, w_hh, bias in self._layers:
            inputs = x @ w_ih + bias  # every step's input projection at once
            h = np.zeros((x.shape[0], w_hh.shape[0]), np.float32)
            c = np.zeros_like(h)
            out = np.empty((x.shape[0], x.shape[1], h.shape[1]), np.float32)
            for t in range(x.shape[1]):
                gates = inputs[:, t] + h @ w_hh
                i, f, g, o = np.split(gates, 4, axis=1)
                c = _sigmoid(f) * c + _sigmoid(i) * np.tanh(g)
                h = _sigmoid(o) * np.tanh(c)
                out[:, t] = h
            x = out
        weight, bias = self._linear
        raw = np.maximum(0.0, x[:, -1] @ weight + bias)
        return raw / np.maximum(np.linalg.norm(raw, axis=1, keepdims=True), 1e-9)


# Voices -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Voices:
    count: int
    """1, or 2 when a second voice was heard."""
    labels: tuple[int, ...]
    """Per stretch given, the voice (0: the one heard most; 1: the other)."""
    shares: tuple[float, ...]
    """Share of the seconds of speech per voice, the most heard first."""
    similarity: float
    """Cosine between the two centres (1.0 with one window)."""


def _two_means(embeddings: np.ndarray, weights: np.ndarray, rounds: int = 20) -> np.ndarray:
    """Two centres by 2-means on the cosine (each embedding weighted), started from the two
    least alike embeddings: ``(2, 256)`` unit rows."""
    similarity = embeddings @ embeddings.T
    a, b = np.unravel_index(int(np.argmin(similarity)), similarity.shape)
    centres = embeddings[[a, b]].copy()
    side: np.ndarray | None = None
    for _ in range(rounds):
        new = np.argmax(embeddings @ centres.T, axis=1)
        if side is not None and np.array_equal(new, side):
            break
        side = new
        for k in (0, 1):
            if np.any(side == k):
                total = (embeddings[side == k] * weights[side == k, None]).sum(axis=0)
                centres[k] = total / np.linalg.norm(total)
    return centres


def voice_of(samples: np.ndarray, encoder: VoiceEncoder) -> np.ndarray:
    """One stretch of speech's voice: the mean of its windows' embeddings (at most
    :data:`MAX_WINDOWS`), of unit length; no samples, no voice (zeros)."""
    if not samples.size:
        return np.zeros(EMBEDDING, np.float32)
    return _mean(encoder.partials(samples, MAX_WINDOWS)[0])


def voices(stretches: Sequence[np.ndarray], encoder: VoiceEncoder) -> Voices:
    """How many voices speak in ``stretches`` (each a stretch of speech, 16 kHz), and whose
    each stretch is. The voice heard most is the one with the most seconds of speech."""
    embeddings = np.zeros((len(stretches), EMBEDDING), np.float32)
    for i, stretch in enumerate(stretches):
        embeddings[i] = voice_of(stretch, encoder)
    return cluster(embeddings, np.array([s.size / AUDIO_RATE for s in stretches]))


def cluster(embeddings: np.ndarray, seconds: np.ndarray) -> Voices:
    """:func:`voices` from each stretch's voice (:func:`voice_of`, ``(n, 256)``) and its
    length in seconds (0: no speech, always the voice heard most)."""
    one = Voices(1, tuple(0 for _ in seconds), (1.0,), 1.0)
    kept = np.flatnonzero(np.asarray(seconds) > 0)
    if not kept.size:
        return one
    embeddings, seconds = np.asarray(embeddings)[kept], np.asarray(seconds, np.float64)[kept]
    long = seconds >= PARTIAL_FRAMES * HOP / AUDIO_RATE
    if long.sum() < 2:
        return one
    centres = _two_means(embeddings[long], seconds[long])
    similarity = float(centres[0] @ centres[1])
    side = np.argmax(embeddings @ centres.T, axis=1)
    heard = np.array([seconds[side == k].sum() for k in (0, 1)])
    most = int(np.argmax(heard))
    minor = float(heard[1 - most])
    if similarity >= SAME_VOICE or minor < MIN_SECONDS or minor < MIN_SHARE * heard.sum():
        return Voices(1, one.labels, (1.0,), similarity)
    labels = list(one.labels)
    for k, index in enumerate(kept):
        labels[index] = 0 if side[k] == most else 1
    shares = (float(heard[most] / heard.sum()), minor / float(heard.sum()))
    return Voices(2, tuple(labels), shares, similarity)


def _mean(embeddings: np.ndarray) -> np.ndarray:
    total = embeddings.mean(axis=0)
    return total / max(float(np.linalg.norm(total)), 1e-9)
