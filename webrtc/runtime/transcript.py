"""What the person of one live session said: the final transcript in order, the language they
speak, and the rolling language summary. Partial transcripts are passed on, never kept."""

from __future__ import annotations

from collections.abc import Callable

from analyzers.session.voices import VoiceStretch
from analyzers.words.language import LanguageSummary, Utterance, summarise
from webrtc.protocol import ServerMessage
from webrtc.results import Transcript


class SessionTranscript:
    def __init__(
        self,
        session_id: str,
        language: str,
        *,
        summary_window: float,
        turn_gap: float,
        send: Callable[[ServerMessage], None],
    ) -> None:
        self._id = session_id
        self.language = language
        """``en``, ``cmn`` or ``auto`` (detected by a multilingual model)."""
        self._window = summary_window
        self._turn_gap = turn_gap
        self._send = send
        self.utterances: list[Utterance] = []
        """The final transcript so far, in order."""
        self.voices: list[VoiceStretch] = []
        """Each final utterance's voice, to tell a second voice apart at the report. Kept in
        memory only, erased with the transcript."""
        self.missing = 0.0
        """Seconds of speech never transcribed (the end did not wait for them)."""
        self.on_final: Callable[[list[Utterance]], None] = lambda utterances: None
        """Told of each batch of final utterances, once they are kept (the interviewer)."""

    @property
    def requested(self) -> str | None:
        """The language recognition is told, ``None`` to detect it."""
        return None if self.language == "auto" else self.language

    def heard(self, utterances: list[Utterance], final: bool) -> None:
        """Transcripts from the transcription pool (on the loop)."""
        for utterance in utterances:
            self.utterances += [utterance] if final else []
            self._send(Transcript.of(self._id, utterance, final=final))
        if final and utterances:
            self.on_final(utterances)

    def voiced(self, stretches: list[VoiceStretch]) -> None:
        """Voices of final utterances, from the transcription pool (on the loop)."""
        self.voices += stretches

    def spoken_language(self) -> str:
        if self.language != "auto":
            return self.language
        return self.utterances[-1].language if self.utterances else "en"

    def summary(self, now: float) -> LanguageSummary:
        """The language summary of the last ``summary_window`` seconds."""
        recent = [u for u in self.utterances if u.end >= now - self._window]
        return summarise(recent, self.spoken_language(), self._turn_gap)

    def erase(self) -> None:
        self.utterances.clear()
        self.voices.clear()
