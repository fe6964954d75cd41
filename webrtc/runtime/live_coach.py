"""The live coach of one session: it takes the pipelines' typed results as they come (whether or
not a data channel is open), and at each analysed frame or rolling summary may answer with one
``nudge`` (rules in :mod:`analyzers.session.coach`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import ClassVar

from analyzers.session.coach import Coach, CoachThresholds, Nudge, Observations
from analyzers.session.summary import SummaryFields
from analyzers.video.frame import VideoFrameResult
from analyzers.voice.speaking_rate import as_english_pace
from analyzers.voice.speech_events import SpeechStarted, SpeechStopped
from analyzers.voice.windows import AudioWindowResult
from analyzers.words.language import language_family
from locales import LOCALES, Translator, translator
from webrtc.protocol import ServerMessage

MIN_JUDGED_SPEECH = 10.0
"""Seconds of speech (turn time, or talk in the summary's window) before pace and pitch are
judged: over a sentence or two they say little."""
MIN_JUDGED_WORDS = 30
"""Words heard in the summary's window before the filler rate is judged."""


@dataclass(frozen=True)
class NudgeMessage(ServerMessage):
    """One short cue; ``t`` is session time."""

    type: ClassVar[str] = "nudge"
    kind: str
    text: str
    """In the session's words (``in_words``, as it is sent); English until then."""
    texts: dict[str, str]
    """The cue in every language Lens has."""
    severity: str
    figures: dict[str, float]

    @classmethod
    def of(cls, session_id: str, nudge: Nudge) -> NudgeMessage:
        texts = {locale: translator(locale)(nudge.text) for locale in LOCALES}
        figures = {k: round(v, 3) for k, v in nudge.figures.items()}
        return cls(session_id, nudge.t, nudge.kind, nudge.text, texts, nudge.severity, figures)

    def in_words(self, words: Translator) -> NudgeMessage:
        return replace(self, text=words(self.text))


class LiveCoach:
    def __init__(
        self,
        session_id: str,
        thresholds: CoachThresholds,
        language: Callable[[], str],
        min_pause: float,
        turn_gap: float,
        clock: Callable[[], float] | None = None,
    ) -> None:
        self.session_id = session_id
        self._clock = clock
        """Session time, for judging between summaries (``None``: the message's ``t``)."""
        self.coach = Coach(thresholds)
        self.observations = Observations(min_pause=min_pause, turn_gap=turn_gap)
        self._language = language

    def observe(self, result: object) -> NudgeMessage | None:
        """Take in one typed result of the pipelines; the nudge to send after it, if one is
        due."""
        seen = self.observations
        if isinstance(result, VideoFrameResult):
            issues = result.framing.issues if result.framing else ()
            eye_contact = None if result.gaze is None else result.gaze.eye_contact
            seen.frame(result.t, result.face, eye_contact, issues)
            # Judged at each analysed frame too: a face that leaves is told within seconds,
            # not at the next summary.
            now = result.t if self._clock is None else self._clock()
            return self._nudge(now)
        elif isinstance(result, AudioWindowResult):
            seen.window(result.t, result.duration, result.speech, result.rms_dbfs)
        elif isinstance(result, SpeechStarted):
            seen.started(result.t)
        elif isinstance(result, SpeechStopped):
            seen.stopped(result.t)
        return None

    def summary(self, t: float, summary: SummaryFields) -> NudgeMessage | None:
        """The rolling summary at session time ``t``: pace, fillers and pitch are judged."""
        return self._judge(t, summary)

    def _judge(self, t: float, summary: SummaryFields) -> NudgeMessage | None:
        rate, language, pitch = summary.speaking_rate, summary.language, summary.pitch
        talked = (summary.talk_ratio or 0.0) * (summary.audio_window or 0.0)
        judged_rate = rate is not None and (rate.turn_seconds or 0.0) >= MIN_JUDGED_SPEECH
        judged_words = language is not None and language.words >= MIN_JUDGED_WORDS
        self.observations.summary(
            wpm=as_english_pace(rate.wpm, language_family(self._language()))
            if rate is not None and rate.wpm is not None and judged_rate
            else None,
            fillers_per_min=language.fillers_per_min
            if language is not None and judged_words
            else None,
            pitch_semitones=pitch.std_semitones
            if pitch is not None and talked >= MIN_JUDGED_SPEECH
            else None,
        )
        return self._nudge(t)

    def _nudge(self, t: float) -> NudgeMessage | None:
        nudge = self.coach.update(t, self.observations.signals())
        return None if nudge is None else NudgeMessage.of(self.session_id, nudge)
