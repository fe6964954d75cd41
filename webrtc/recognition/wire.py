"""OpenAI's ``/v1/audio/transcriptions`` as Lens speaks it, both ends: what a worker sends
(16 kHz mono 32-bit float WAV, ``language``, ``response_format=verbose_json``, word timestamps) and
how a ``verbose_json`` answer becomes a :class:`Recognition`.

The same API is served by vLLM, speaches and others on a GPU, and by Lens's own recogniser
process (``python server.py recognizer``). Lens's answer adds each word's ``probability`` (the
others leave it out; a word without one counts as certain) and the language as a code; the
others name it (``english``).
"""

from __future__ import annotations

import json
import math
import struct
import uuid
from typing import Any

import numpy as np

from analyzers import AUDIO_RATE
from analyzers.words.recognition import Recognition, RecognizedWord

PATH = "/v1/audio/transcriptions"
MAX_SECONDS = 30.0
"""The longest audio a call takes: Whisper's window (Lens cuts utterances to fit it)."""
MAX_BYTES = 64 + int(MAX_SECONDS * AUDIO_RATE * 4) + 64 * 1024
"""The largest request: a WAV of that length and the form around it."""
PRIORITY_HEADER = "X-Lens-Priority"
"""0: a final an interview waits on, 1: another final, 2: a partial (Lens's recogniser only)."""
PCM, FLOAT = 1, 3
"""WAV sample formats: 16-bit integers, 32-bit floats."""
LANGUAGE_CODES = {"english": "en", "chinese": "zh", "mandarin": "zh"}


class WireError(ValueError):
    """A request or an answer that is not what the API says."""


def wav(samples: np.ndarray) -> bytes:
    """16 kHz mono float32 samples as a 32-bit float WAV (format 3: the samples exactly as the
    local model would get them; every decoder reads it)."""
    data = np.asarray(samples, "<f4").tobytes()
    header = struct.pack(
        "<4sI4s4sIHHIIHH4sI",
        b"RIFF", 36 + len(data), b"WAVE", b"fmt ", 16,
        FLOAT, 1, AUDIO_RATE, AUDIO_RATE * 4, 4, 32,
        b"data", len(data),
    )  # fmt: skip
    return header + data


def samples_of(data: bytes) -> np.ndarray:
    """The float32 samples of a 16 kHz mono WAV, 32-bit float or 16-bit integer."""
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise WireError("audio must be a WAV file")
    at, shape, frames = 12, None, None
    while at + 8 <= len(data):
        name, size = struct.unpack_from("<4sI", data, at)
        body = data[at + 8 : at + 8 + size]
        if name == b"fmt " and len(body) >= 16:
            shape = struct.unpack_from("<HHIIHH", body)
        elif name == b"data":
            frames = body
            break
        at += 8 + size + (size & 1)
    if shape is None or frames is None:
        raise WireError("the WAV file has no format or no data")
    kind, channels, rate, _, _, bits = shape
    if (channels, rate) != (1, AUDIO_RATE) or (kind, bits) not in ((FLOAT, 32), (PCM, 16)):
        raise WireError(
            f"audio must be 16 kHz mono WAV, 32-bit float or 16-bit; not {rate} Hz, "
            f"{channels} channel(s), {bits}-bit"
        )
    if kind == FLOAT:
        samples = np.frombuffer(frames[: len(frames) // 4 * 4], "<f4").astype(np.float32)
        if not np.isfinite(samples).all():
            raise WireError("the audio holds samples that are not numbers")
    else:
        samples = np.frombuffer(frames[: len(frames) // 2 * 2], "<i2").astype(np.float32) / 32767
    if samples.size > MAX_SECONDS * AUDIO_RATE:
        raise WireError(f"audio is at most {MAX_SECONDS:g} s a call")
    return samples


def form(samples: np.ndarray, language: str | None, model: str) -> tuple[bytes, str]:
    """A request's multipart body and its content type."""
    boundary = uuid.uuid4().hex
    fields: list[tuple[str, str]] = [
        ("model", model),
        ("response_format", "verbose_json"),
        ("timestamp_granularities[]", "word"),
        ("timestamp_granularities[]", "segment"),
        ("temperature", "0"),
    ]
    if language is not None:
        fields.append(("language", language))
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, value in fields
    ]
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="speech.wav"\r\n'
        "Content-Type: audio/wav\r\n\r\n".encode()
        + wav(samples)
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def verbose_json(recognition: Recognition, seconds: float) -> dict[str, Any]:
    """The answer to a request, in OpenAI's ``verbose_json`` form."""
    return {
        "task": "transcribe",
        "language": recognition.language,
        "duration": round(seconds, 3),
        "text": "".join(w.word for w in recognition.words).strip(),
        "words": [
            {
                "word": w.word,
                "start": round(w.start, 3),
                "end": round(w.end, 3),
                "probability": round(w.probability, 4),
            }
            for w in recognition.words
        ],
    }


def recognition_of(body: bytes, asked: str | None) -> Recognition:
    """A ``verbose_json`` answer as a :class:`Recognition` (``asked``: the language asked for,
    when the answer does not say one)."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise WireError(f"the answer is not JSON: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("words", []), list):
        raise WireError("the answer has no 'words' list (is timestamp_granularities supported?)")
    words: list[RecognizedWord] = []
    for item in data.get("words", []):
        try:
            word = str(item["word"])
            start, end = float(item["start"]), float(item["end"])
            probability = float(item.get("probability", 1.0))
        except (KeyError, TypeError, ValueError):
            # What was said is personal data: the error (which is logged) does not quote it.
            raise WireError(f"word {len(words)} of the answer is malformed") from None
        if not all(math.isfinite(x) for x in (start, end, probability)):
            raise WireError("a word of the answer has a time that is not a number")
        # Some servers strip the space Whisper puts before a word: Lens's words carry it.
        if words and not word.startswith(" ") and word[:1].isascii() and word[:1].isalnum():
            word = " " + word
        words.append(RecognizedWord(word, start, end, probability))
    said = str(data.get("language") or asked or "en").lower()
    return Recognition(LANGUAGE_CODES.get(said, said), tuple(words))
