"""The person's voice told from the echo of the interviewer's, while the interviewer speaks.

The browser's echo canceller removes most of the interviewer's voice from the microphone, but
not all of it everywhere (loudspeakers, a headset's side tone, a canceller that has not adapted
yet). What is left follows the voice that was played: it is never louder than the played voice
times the room's coupling. So, for each stretch of microphone audio, :class:`EchoGate` compares
its level with the loudest the interviewer's voice was in the moments before it (the echo's way
back takes up to ``max_delay`` seconds), plus the coupling it has learned:

- it learns the coupling over the first ``learn`` seconds of each question's playback, while the
  person listens (the highest microphone-over-voice level seen then);
- afterwards, audio louder than the voice plus the coupling plus ``margin_db`` is the person
  talking over the question (a barge-in); anything else is echo, taken as silence.

Levels only: a person who speaks very softly under a loud echo is not heard until the voice
stops, which is the safe side (an interviewer that stops for its own echo is worse).
"""

from __future__ import annotations

from dataclasses import dataclass

from analyzers.voice.loudness import SILENCE_DBFS


@dataclass(frozen=True)
class EchoParams:
    margin_db: float = 6.0
    """How much louder than the expected echo the microphone must be to be the person."""
    learn: float = 0.6
    """Seconds at the start of each playback over which the coupling is learned."""
    max_delay: float = 0.6
    """Seconds the echo may lag the voice that was played (network, jitter buffer, room)."""
    floor_dbfs: float = -55.0
    """Microphone audio quieter than this is silence whatever the voice does."""
    loud_dbfs: float = -45.0
    """Played voice at least this loud teaches the coupling (pauses between words do not)."""


class EchoGate:
    """One stream's gate, used from one thread."""

    def __init__(self, params: EchoParams | None = None) -> None:
        self.params = params or EchoParams()
        self._since: float | None = None
        self._coupling = SILENCE_DBFS
        """Highest microphone-over-voice level learned (dB) for the playback that began at
        ``_since``."""

    def is_person(self, t: float, mic_dbfs: float, voice_dbfs: float, since: float) -> bool:
        """Whether microphone audio at ``t`` of level ``mic_dbfs`` is the person, when the
        interviewer's voice (playing since ``since``) was at most ``voice_dbfs`` over the
        preceding ``max_delay`` seconds."""
        p = self.params
        if since != self._since:  # another question: its coupling is learned afresh
            self._since, self._coupling = since, SILENCE_DBFS
        if mic_dbfs < p.floor_dbfs:
            return False
        if t - since < p.learn:
            if voice_dbfs >= p.loud_dbfs:
                self._coupling = max(self._coupling, mic_dbfs - voice_dbfs)
            return False  # while learning, the person is taken to listen
        if voice_dbfs < p.loud_dbfs:
            return True  # the voice has been quiet long enough that no echo is left
        return mic_dbfs > voice_dbfs + self._coupling + p.margin_db
