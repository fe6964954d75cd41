"""A recording's second voice kept apart: which utterances are the person's, when an upload
holds two voices (a mock interview recorded with its interviewer, a call)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from analyzers.session.report import VoicesHeard
from analyzers.voice.speakers import VoiceEncoder, voices
from analyzers.words.language import Utterance
from analyzers.words.recognition import SpeechClip

CANDIDATE_VOICES = ("most", "least")
"""How the person's voice is chosen among two: the one heard most (the default: a candidate
answers at length), or the one heard least (a recording where the interviewer talks more)."""


def keep_apart(
    clips: Sequence[SpeechClip],
    transcript: Sequence[Utterance],
    encoder: VoiceEncoder,
    candidate: str = "most",
) -> tuple[list[Utterance], VoicesHeard | None]:
    """``transcript`` with the utterances of the voice that is not the person's marked
    ``other_voice``, and what was heard; unchanged with ``None`` when one voice was heard.
    Each utterance belongs to the clip it was recognised from (it starts where its clip does)."""
    if candidate not in CANDIDATE_VOICES:
        raise ValueError(f"candidate voice is one of {CANDIDATE_VOICES}, not {candidate!r}")
    found = voices([clip.samples for clip in clips], encoder)
    if found.count < 2:
        return list(transcript), None
    person = 0 if candidate == "most" else 1
    voice_at = {round(c.start, 3): label for c, label in zip(clips, found.labels, strict=True)}
    marked = [
        replace(u, other_voice=voice_at.get(round(u.start, 3), person) != person)
        for u in transcript
    ]
    heard = VoicesHeard(
        count=2,
        candidate=candidate,
        candidate_share=found.shares[person],
        similarity=found.similarity,
    )
    return marked, heard
