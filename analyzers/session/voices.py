"""A recording's second voice kept apart: which utterances are the person's, when a session
holds two voices (a mock interview recorded with its interviewer, a call, an interviewer in the
room with a live microphone)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from analyzers import AUDIO_RATE
from analyzers.session.report import VoicesHeard
from analyzers.voice.speakers import VoiceEncoder, cluster, voice_of
from analyzers.words.language import Utterance
from analyzers.words.recognition import SpeechClip

CANDIDATE_VOICES = ("most", "least")
"""How the person's voice is chosen among two: the one heard most (the default: a candidate
answers at length), or the one heard least (a recording where the interviewer talks more)."""


@dataclass(frozen=True)
class VoiceStretch:
    """One utterance's voice: where it starts, its seconds of speech and its embedding
    (:func:`analyzers.voice.speakers.voice_of`). Kept in memory for the session only."""

    start: float
    seconds: float
    voice: np.ndarray


def stretch_of(clip: SpeechClip, encoder: VoiceEncoder) -> VoiceStretch:
    """``clip``'s voice (a clip without samples: no speech, no voice)."""
    return VoiceStretch(clip.start, clip.samples.size / AUDIO_RATE, voice_of(clip.samples, encoder))


def keep_apart(
    clips: Sequence[SpeechClip],
    transcript: Sequence[Utterance],
    encoder: VoiceEncoder,
    candidate: str = "most",
) -> tuple[list[Utterance], VoicesHeard | None]:
    """``transcript`` with the utterances of the voice that is not the person's marked
    ``other_voice``, and what was heard; unchanged with ``None`` when one voice was heard."""
    return mark([stretch_of(clip, encoder) for clip in clips], transcript, candidate)


def mark(
    stretches: Sequence[VoiceStretch],
    transcript: Sequence[Utterance],
    candidate: str = "most",
) -> tuple[list[Utterance], VoicesHeard | None]:
    """:func:`keep_apart` from voices found as the utterances were heard (a live session).
    Each utterance belongs to the stretch it starts in (it starts where its clip does)."""
    if candidate not in CANDIDATE_VOICES:
        raise ValueError(f"candidate voice is one of {CANDIDATE_VOICES}, not {candidate!r}")
    stretches = sorted(stretches, key=lambda s: s.start)
    if not stretches:
        return list(transcript), None
    found = cluster(
        np.stack([s.voice for s in stretches]), np.array([s.seconds for s in stretches])
    )
    if found.count < 2:
        return list(transcript), None
    person = 0 if candidate == "most" else 1
    starts = np.array([s.start for s in stretches])

    def voice_at(start: float) -> int:
        i = int(np.searchsorted(starts, start + 0.005, side="right")) - 1
        return found.labels[i] if i >= 0 else person

    marked = [replace(u, other_voice=voice_at(u.start) != person) for u in transcript]
    heard = VoicesHeard(
        count=2,
        candidate=candidate,
        candidate_share=found.shares[person],
        similarity=found.similarity,
    )
    return marked, heard
