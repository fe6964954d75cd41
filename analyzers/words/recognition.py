"""Speech recognition behind one small interface, and the utterances it is given.

:class:`SpeechRecognizer` is what the rest of Lens knows; :class:`WhisperRecognizer` implements
it with faster-whisper (CTranslate2, int8 on the CPU) from a model directory the model registry
provides.

**One utterance per call.** Whisper pads every call to 30 s, so a call costs the same for 2 s of
speech as for 30 s, and packing several utterances into one call (:func:`merge`, with a short
silence between them) is three times cheaper. On fragment-sized clips a merged call lost words
(a third of a real recording's, stamped seconds away from where they were said); on whole
utterances it lost none but invented filled pauses (precision 71 % against 89 % alone) and
placed more words off their time (``python -m bench.asr_real``, ``docs/benchmarks.md``). Lens
therefore recognises each utterance alone, live and for recorded files alike
(:func:`transcribe`); utterances are whole phrases between pauses
(:mod:`analyzers.words.utterances`), so there are few of them. Word times are clamped into the clip
they came from, and speech that got no words is counted (:func:`unheard_seconds`), never hidden.

Whisper writes down fluent text: it drops most filled pauses. A short initial prompt that itself
hesitates ("Umm, let me think, uh...") makes it keep them (measured in ``docs/benchmarks.md``);
long prompts, or prompts starting with "I'm", are known to make it drop sentences or loop.
Even this short prompt sent ``tiny.en`` into an "I'm not sure what I'm saying" loop on 23 s of a
read sonnet; greedy decoding therefore falls back to sampling at rising temperatures
(:data:`TEMPERATURES`, Whisper's own schedule) when a window loops or fails, which cost 10.7 s of
CPU instead of 3.6 s for that window and nothing for windows that decode cleanly.
"""

from __future__ import annotations

import contextlib
import math
import re
import threading
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal, Protocol

import numpy as np

from analyzers import AUDIO_RATE
from analyzers.words.batching import BatchingWhisper, Rendezvous
from analyzers.words.coverage import recheck
from analyzers.words.language import Utterance, Word, label_words, language_family

PROMPTS = {
    "en": "Umm, let me think, uh... hmm, so, er, well.",
    "zh": "嗯\uff0c呃\uff0c那个\uff0c我想想\uff0c就是\u2026\u2026",  # fullwidth commas, ellipsis
}
TEMPERATURES = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)
"""Greedy first; the next temperature only for a window whose decoding loops (:data:`LOOPING`)
or fails (:data:`FAILED`)."""
GAP_SECONDS = 0.3
"""Silence put between utterances merged into one call."""
MAX_CALL_SECONDS = 30.0
"""Whisper's window: what one call can hold."""
NO_SPEECH = 0.6
"""A segment Whisper finds this likely to be no speech is left out (its own default)."""
LOOPING = 2.4
"""A segment whose text compresses more than this (gzip ratio) is a repetition loop, left out
(Whisper's own threshold for retrying a segment)."""
FAILED = -1.0
"""A segment whose mean token log-probability is below this is a failed decoding, left out
(Whisper's own ``logprob_threshold``): what Whisper invents on noise or garbled audio."""


@dataclass(frozen=True)
class SpeechClip:
    """The audio of one utterance: 16 kHz mono float32 ``samples`` starting at media time
    ``start``; ``end`` is when speech stopped (the clip may run a little past it)."""

    start: float
    end: float
    samples: np.ndarray

    @property
    def seconds(self) -> float:
        return self.samples.size / AUDIO_RATE


@dataclass(frozen=True)
class RecognizedWord:
    word: str
    start: float
    end: float
    probability: float


@dataclass(frozen=True)
class Recognition:
    language: str
    words: tuple[RecognizedWord, ...]
    """Times in seconds from the start of the audio given."""


class SpeechRecognizer(Protocol):
    name: str
    multilingual: bool

    def recognize(self, samples: np.ndarray, language: str | None) -> Recognition:
        """Words in 16 kHz mono float32 ``samples`` (at most 30 s). ``language``: ``en``,
        ``zh``, or ``None`` to detect it (multilingual models only)."""
        ...


TOKENS_PER_SECOND = 15
"""The most tokens a call may write per second of its audio: about twice the fastest speech
(7 Mandarin characters or 5 English words a second, a token or two each). A decoding that
fails its checks is retried at rising temperatures (``TEMPERATURES``), and a failing one writes
until Whisper's own limit each time: on a 2.2 s clip of real Mandarin that cost 34 CPU
seconds (``docs/analyzers.md``, "Mandarin recognition"). Bounded, a call costs what its audio
can hold."""


def max_tokens(seconds: float) -> int:
    return min(224, 10 + math.ceil(TOKENS_PER_SECOND * seconds))


FRAMES_PER_SECOND = 100
"""Whisper's feature frames a second (10 ms hop)."""


def fitted_frames(seconds: float, shortest: float | None) -> int | None:
    """The encoder window for ``seconds`` of audio, in feature frames: a second past the
    audio, at least ``shortest`` seconds, at most Whisper's 30 (``None``: always 30)."""
    if shortest is None:
        return None
    return round(min(30.0, max(shortest, seconds + 1.0)) * FRAMES_PER_SECOND)


class WhisperRecognizer:
    """faster-whisper on the CPU: one model, ``cpu_threads`` threads. Calls are serialised;
    or, with a ``rendezvous``, run at once from several threads with their model calls batched
    (:mod:`analyzers.words.batching`): the same words, one batch at a time."""

    def __init__(
        self,
        model_dir: Path,
        *,
        cpu_threads: int = 1,
        name: str | None = None,
        prompts: dict[str, str] | None = None,
        rendezvous: Rendezvous | None = None,
        window: float | None = None,
    ) -> None:
        from faster_whisper import WhisperModel

        self.name = name or model_dir.name
        self.window = window
        """Shortest encoder window (s) a call is fitted to; ``None``: Whisper's 30 s always."""
        self.prompts = PROMPTS if prompts is None else prompts
        """Initial prompt per language family (see the module's docstring)."""
        self._model = WhisperModel(
            str(model_dir), device="cpu", compute_type="int8", cpu_threads=cpu_threads
        )
        self.multilingual = bool(self._model.model.is_multilingual)
        import ctranslate2

        self._seed = ctranslate2.set_random_seed
        self._lock: contextlib.AbstractContextManager[object] = threading.Lock()
        self._fit: Callable[[float], None] = lambda seconds: None
        if rendezvous is not None or window is not None:
            proxy = BatchingWhisper(self._model.model, rendezvous, self._seed)
            self._model.model = proxy
            self._fit = lambda seconds: proxy.begin(fitted_frames(seconds, window))
            if rendezvous is not None:
                # Seeded where it samples, alone (batching.py); no lock: batches serialise.
                self._lock = contextlib.nullcontext()
                self._seed = lambda _: None

    def recognize(self, samples: np.ndarray, language: str | None) -> Recognition:
        if not self.multilingual:
            language = "en"
        family = language_family(language) if language else "en"
        with self._lock:
            # The temperature fallback samples: seeded per call, the same audio always gives
            # the same words (CTranslate2's generators are process-wide; calls are serialised).
            self._seed(0)
            self._fit(samples.size / AUDIO_RATE)
            segments, info = self._model.transcribe(
                samples.astype(np.float32, copy=False),
                language=None if language is None else ("zh" if family == "zh" else "en"),
                beam_size=1,
                temperature=TEMPERATURES,
                compression_ratio_threshold=LOOPING,
                log_prob_threshold=FAILED,
                no_speech_threshold=NO_SPEECH,
                condition_on_previous_text=False,
                initial_prompt=self.prompts.get(family),
                word_timestamps=True,
                vad_filter=False,
                without_timestamps=False,
                max_new_tokens=max_tokens(samples.size / AUDIO_RATE),
            )
            words = tuple(
                RecognizedWord(w.word, float(w.start), float(w.end), float(w.probability))
                for segment in segments
                # Not speech, a repetition loop, or a failed decoding (Whisper's own thresholds).
                if segment.no_speech_prob < NO_SPEECH
                and segment.compression_ratio <= LOOPING
                and segment.avg_logprob >= FAILED
                for w in (segment.words or [])
            )
        return Recognition(info.language, words)


def merge(clips: Sequence[SpeechClip]) -> tuple[np.ndarray, list[tuple[float, SpeechClip]]]:
    """One call's audio for ``clips`` (in order, at most :data:`MAX_CALL_SECONDS` in all), and
    where each clip starts in it."""
    gap = np.zeros(round(GAP_SECONDS * AUDIO_RATE), np.float32)
    parts: list[np.ndarray] = []
    offsets: list[tuple[float, SpeechClip]] = []
    at = 0.0
    for clip in clips:
        if parts:
            parts.append(gap)
            at += GAP_SECONDS
        offsets.append((at, clip))
        parts.append(clip.samples)
        at += clip.seconds
    return np.concatenate(parts) if parts else np.zeros(0, np.float32), offsets


def utterances_of(
    recognition: Recognition, placed: Sequence[tuple[float, SpeechClip]], language: str
) -> list[Utterance]:
    """Each clip's words at their media times, labelled (fillers, hedges). A clip in which
    nothing was recognised gives no utterance: silence and noise leave no transcript."""
    by_clip: list[list[Word]] = [[] for _ in placed]
    for w in recognition.words:
        middle = (w.start + w.end) / 2
        index = max(0, sum(1 for offset, _ in placed if offset <= middle) - 1)
        offset, clip = placed[index]
        # Whisper's word times can run past the audio it was given: keep them in the clip.
        start = clip.start + min(max(0.0, w.start - offset), clip.seconds)
        end = clip.start + min(max(0.0, w.end - offset), clip.seconds)
        by_clip[index].append(Word(w.word.strip(), round(start, 3), round(end, 3), w.probability))
    spoken = recognition.language or language
    out = []
    for (_, clip), words in zip(placed, by_clip, strict=True):
        words = tidy(words, spoken)
        if not words:
            continue
        labelled = label_words(words, spoken)
        joiner = "" if language_family(spoken) == "zh" else " "
        out.append(
            Utterance(
                start=round(clip.start, 3),
                end=round(max(clip.end, labelled[-1].end), 3),
                text=joiner.join(w.word for w in labelled).strip(),
                language=spoken,
                words=tuple(labelled),
            )
        )
    return out


def tidy(words: Sequence[Word], language: str) -> list[Word]:
    """Words as a person would write them: full-width Latin letters and digits as ordinary
    ones (Whisper mixes both in Chinese text), empty words dropped, and in Chinese a lone
    number ending the utterance dropped (Whisper ``base`` ends Mandarin utterances with a stray
    full-width zero that nobody said), as is an unlikely full-width number inside one."""
    if language_family(language) == "zh":
        # Whisper ``base`` writes a full-width digit nobody said across a pause in Mandarin
        # (U+FF10 at a comma), with a low probability: left out.
        words = [w for w in words if not (_FULL_WIDTH_NUMBER.fullmatch(w.word.strip())
                                          and w.probability < 0.5)]  # fmt: skip
    out = [replace(w, word=_halfwidth(w.word)) for w in words]
    out = [w for w in out if w.word.strip()]
    if language_family(language) == "zh":
        out = _without_loops(out)
        while out and re.fullmatch(r"[\d\W_]+", out[-1].word) and re.search(r"\d", out[-1].word):
            rest = re.sub(r"\d", "", out[-1].word).strip()
            if rest:  # the punctuation the number came with stays
                out[-1] = replace(out[-1], word=rest)
                break
            out.pop()
    return out


LOOP = 3
"""The same word or phrase (up to four words) this many times in a row in Mandarin is a
decoding loop, not speech (a clip cut mid-word gave "轻轻轻轻…" and "这些东西,这些东西,…"): it is
kept once."""


_MARKS = "\uff0c\u3002\u3001,. "
"""Punctuation a repeated word may come with."""


def _without_loops(words: list[Word]) -> list[Word]:
    out = [replace(w, word=w.word.replace("\ufffd", "")) for w in words]  # a cut character
    out = [w for w in out if w.word.strip()]
    for size in (1, 2, 3, 4):
        kept: list[Word] = []
        i = 0
        while i < len(out):
            phrase = [w.word.strip(_MARKS) for w in out[i : i + size]]
            repeats = 1
            while [w.word.strip(_MARKS) for w in out[
                i + repeats * size : i + (repeats + 1) * size
            ]] == phrase:  # fmt: skip
                repeats += 1
            if repeats >= LOOP:
                kept += out[i : i + size]
                i += size * repeats
            else:
                kept.append(out[i])
                i += 1
        out = kept
    return out


_FULL_WIDTH_NUMBER = re.compile(r"[\uff10-\uff19]+")


def _halfwidth(text: str) -> str:
    """Full-width ASCII letters and digits (U+FF10-FF5A) as ordinary ones; Chinese
    punctuation stays."""
    return "".join(
        unicodedata.normalize("NFKC", ch) if "\uff10" <= ch <= "\uff5a" else ch for ch in text
    )


Strategy = Literal["single", "merged"]
"""How :func:`transcribe` spends calls: one per utterance (used), or as few as fit (measured
against it)."""


def transcribe(
    recognizer: SpeechRecognizer,
    clips: Sequence[SpeechClip],
    language: str | None,
    *,
    strategy: Strategy = "single",
    progress: Callable[[float], None] | None = None,
    rechecked: Callable[[float], None] | None = None,
    check: bool = True,
) -> list[Utterance]:
    """``clips`` recognised, in order (see :data:`Strategy`); ``progress`` is told the seconds
    of speech recognised so far after each call. With one clip a call, a call whose words
    leave a stretch of the clip's speech out is re-cut there and that stretch recognised again
    (:mod:`analyzers.words.coverage`; ``check`` false for audio cut mid-speech, a partial
    transcript); ``rechecked`` is told the seconds recognised again."""
    out: list[Utterance] = []
    done = 0.0
    for batch in batches(clips) if strategy == "merged" else [[clip] for clip in clips]:
        samples, placed = merge(batch)
        heard = utterances_of(recognizer.recognize(samples, language), placed, language or "en")
        if strategy == "single" and check:
            heard, again = recheck_clip(recognizer, batch[0], heard, language)
            if again and rechecked is not None:
                rechecked(again)
        out += heard
        done += sum(clip.seconds for clip in batch)
        if progress is not None:
            progress(done)
    return out


def recheck_clip(
    recognizer: SpeechRecognizer,
    clip: SpeechClip,
    heard: Sequence[Utterance],
    language: str | None,
) -> tuple[list[Utterance], float]:
    """``heard`` (what one call gave for ``clip``) with each stretch of speech its words left
    out recognised again and put in place (:func:`analyzers.words.coverage.recheck`), and the
    seconds recognised again."""
    spoken = heard[0].language if heard else (language or "en")

    def recognise(at: float, samples: np.ndarray) -> list[Utterance]:
        part = SpeechClip(at, at + samples.size / AUDIO_RATE, samples)
        return utterances_of(recognizer.recognize(samples, language), [(0.0, part)], spoken)

    whole, again = recheck(heard[0] if heard else None, clip.start, clip.samples, recognise, spoken)
    return ([whole] if whole is not None else []), again


def unheard_seconds(clips: Sequence[SpeechClip], utterances: Sequence[Utterance]) -> float:
    """Seconds of speech in the clips that got no words (an utterance starts where its clip
    does)."""
    heard = {u.start for u in utterances}
    return sum(c.end - c.start for c in clips if round(c.start, 3) not in heard)


def batches(clips: Sequence[SpeechClip]) -> list[list[SpeechClip]]:
    """``clips`` in order, grouped so that each group fits one call."""
    groups: list[list[SpeechClip]] = []
    seconds = 0.0
    for clip in clips:
        extra = clip.seconds + (GAP_SECONDS if groups and groups[-1] else 0.0)
        if not groups or seconds + extra > MAX_CALL_SECONDS:
            groups.append([])
            extra, seconds = clip.seconds, 0.0
        groups[-1].append(clip)
        seconds += extra
    return groups
