"""Live coaching: one short cue at a time, from what the analyzers measure.

Studies of live speaking feedback found that a dense live dashboard distracts more than it
helps, and that one short cue at a time works (Rhema: Tanveer, Lin & Hoque, IUI 2015, showed a
word every 20 s at most). :class:`Coach` turns the running figures into such cues (``nudge``
messages): each :class:`Rule` has a threshold to become a problem and a better one to stop being
one (hysteresis), a minimum time in the problem before it fires, and fires once per episode —
not again while the person is fixing it, only after it has cleared. Nudges are rate-limited per
session (one every ``interval`` seconds at most), the most important first. Where each default
comes from is in ``docs/analyzers.md`` ("Coaching").

:class:`Observations` keeps what the rules look at: short windows of per-frame and per-window
results, the speech events and the latest rolling summary's figures. Pure code: the live shell
feeds it the results it sends.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from statistics import median
from typing import Literal

from locales import N_

Severity = Literal["high", "medium", "low"]

LIGHT_ISSUES = ("too_dark", "backlit", "washed_out")


@dataclass(frozen=True)
class CoachThresholds:
    """When each rule fires (``on``) and clears (``off``); sources in ``docs/analyzers.md``."""

    interval: float = 20.0
    """Seconds between two nudges of a session, at least (0: no nudges)."""
    face_visible_min: float = 0.2
    """Share of the last 3 s of frames with a face below which the face is out of view."""
    lighting_max: float = 0.6
    """Share of the last 10 s of frames with a face too dark, backlit or washed out."""
    eye_contact_min: float = 0.25
    """Share of the last 15 s of frames with a face looking at the camera."""
    level_min_dbfs: float = -40.0
    """Median level of the last 10 s of speech windows."""
    pace_max_wpm: float = 165.0
    """Speech rate (``speaking_rate.wpm``) above which to slow down."""
    fillers_max_per_min: float = 6.0
    """Filled pauses per minute (``language.fillers_per_min``)."""
    pitch_min_semitones: float = 1.5
    """Pitch spread (``pitch.std_semitones``) below which the voice sounds flat."""
    no_pause_max: float = 30.0
    """Seconds of speech without a pause (``LENS_MIN_PAUSE``) before "pause more"."""
    answer_max: float = 120.0
    """Seconds of one answer (speech with no gap of ``LENS_TURN_GAP``) before "wrap up"."""


@dataclass(frozen=True)
class Signals:
    """What the rules look at, at one moment; ``None`` where there is not enough to judge."""

    face_visible: float | None = None
    lighting: float | None = None
    eye_contact: float | None = None
    level_dbfs: float | None = None
    wpm: float | None = None
    fillers_per_min: float | None = None
    pitch_semitones: float | None = None
    without_pause: float | None = None
    answer: float | None = None


@dataclass(frozen=True)
class Rule:
    kind: str
    signal: str
    """The :class:`Signals` field it looks at."""
    on: Callable[[CoachThresholds], float]
    clear: Callable[[CoachThresholds], float]
    above: bool
    """A problem above ``on`` (else below it); cleared past ``clear`` the other way."""
    min_seconds: float
    severity: Severity
    text: str


RULES: tuple[Rule, ...] = (
    # Most important first: when several are due, the first one is nudged.
    Rule(
        "face_out_of_view",
        "face_visible",
        lambda c: c.face_visible_min,
        lambda c: 0.8,
        False,
        1.0,
        "high",
        N_("Move back into the picture"),
    ),
    Rule(
        "lighting",
        "lighting",
        lambda c: c.lighting_max,
        lambda c: c.lighting_max / 2,
        True,
        10.0,
        "medium",
        N_("Light your face from the front"),
    ),
    Rule(
        "speak_up",
        "level_dbfs",
        lambda c: c.level_min_dbfs,
        lambda c: c.level_min_dbfs + 5,
        False,
        5.0,
        "high",
        N_("Speak up"),
    ),
    Rule(
        "look_at_camera",
        "eye_contact",
        lambda c: c.eye_contact_min,
        lambda c: c.eye_contact_min * 2,
        False,
        10.0,
        "medium",
        N_("Look at the camera"),
    ),
    Rule(
        "slow_down",
        "wpm",
        lambda c: c.pace_max_wpm,
        lambda c: c.pace_max_wpm - 15,
        True,
        10.0,
        "medium",
        N_("Slow down"),
    ),
    Rule(
        "too_many_fillers",
        "fillers_per_min",
        lambda c: c.fillers_max_per_min,
        lambda c: c.fillers_max_per_min / 2,
        True,
        10.0,
        "medium",
        N_("Pause instead of saying um"),
    ),
    Rule(
        "long_answer",
        "answer",
        lambda c: c.answer_max,
        lambda c: 1.0,
        True,
        0.0,
        "low",
        N_("Wrap up this answer"),
    ),
    Rule(
        "pause_more",
        "without_pause",
        lambda c: c.no_pause_max,
        lambda c: 1.0,
        True,
        0.0,
        "low",
        N_("Take a breath and pause"),
    ),
    Rule(
        "vary_your_pitch",
        "pitch_semitones",
        lambda c: c.pitch_min_semitones,
        lambda c: c.pitch_min_semitones + 0.5,
        False,
        15.0,
        "low",
        N_("Vary your tone"),
    ),
)
KINDS = tuple(rule.kind for rule in RULES)


@dataclass(frozen=True)
class Nudge:
    t: float
    kind: str
    text: str
    """The cue, in English: the catalogs (``locales``) put it in the person's language."""
    severity: Severity
    figures: dict[str, float]
    """The figure that triggered it and its threshold."""


@dataclass
class _State:
    since: float | None = None
    """When the problem began (``None``: no problem)."""
    nudged: bool = False
    """Nudged in this episode: not again until it clears."""


class Coach:
    """Rules over :class:`Signals`, at most one nudge per ``interval`` seconds."""

    def __init__(self, thresholds: CoachThresholds | None = None) -> None:
        self.thresholds = thresholds or CoachThresholds()
        self._states = {rule.kind: _State() for rule in RULES}
        self._last: float | None = None

    def update(self, t: float, signals: Signals) -> Nudge | None:
        """The rules' states at ``t`` (seconds, any clock that only goes forward); the nudge
        to give now, if any."""
        c = self.thresholds
        due: list[tuple[Rule, float]] = []
        for rule in RULES:
            state = self._states[rule.kind]
            value: float | None = getattr(signals, rule.signal)
            if value is None:
                continue  # nothing to judge on: the state holds
            on, clear = rule.on(c), rule.clear(c)
            if (value > on) if rule.above else (value < on):
                state.since = t if state.since is None else state.since
            elif (value < clear) if rule.above else (value > clear):
                state.since, state.nudged = None, False
            if state.since is not None and not state.nudged and t - state.since >= rule.min_seconds:
                due.append((rule, value))
        if not due or c.interval <= 0:
            return None
        if self._last is not None and t - self._last < c.interval:
            return None
        rule, value = due[0]
        self._states[rule.kind].nudged = True
        self._last = t
        return Nudge(
            t, rule.kind, rule.text, rule.severity, {rule.signal: value, "threshold": rule.on(c)}
        )


@dataclass
class Observations:
    """The recent results the rules are judged on. Video and audio times are each their
    track's media seconds; windows are measured back from each track's newest result."""

    min_pause: float = 0.6
    turn_gap: float = 3.0
    _frames: deque[tuple[float, bool, bool | None, bool]] = field(default_factory=deque)
    _levels: deque[tuple[float, float]] = field(default_factory=deque)
    _audio_end: float | None = None
    _speaking_since: float | None = None
    """Start of the speech since the last pause (``None`` while silent)."""
    _turn_since: float | None = None
    _stopped: float | None = None
    wpm: float | None = None
    fillers_per_min: float | None = None
    pitch_semitones: float | None = None

    def frame(
        self, t: float, face: bool, eye_contact: bool | None, issues: tuple[str, ...]
    ) -> None:
        lit_badly = any(code in LIGHT_ISSUES for code in issues)
        self._frames.append((t, face, eye_contact, lit_badly))
        while self._frames and self._frames[0][0] < t - 15.0:
            self._frames.popleft()

    def window(self, t: float, duration: float, speech: bool, rms_dbfs: float) -> None:
        self._audio_end = t + duration
        if speech:
            self._levels.append((t, rms_dbfs))
        while self._levels and self._levels[0][0] < t - 10.0:
            self._levels.popleft()

    def started(self, t: float) -> None:
        gap = None if self._stopped is None else t - self._stopped
        if self._speaking_since is None or gap is None or gap >= self.min_pause:
            self._speaking_since = t
        if self._turn_since is None or gap is None or gap >= self.turn_gap:
            self._turn_since = t
        self._stopped = None

    def stopped(self, t: float) -> None:
        self._stopped = t

    def summary(
        self, wpm: float | None, fillers_per_min: float | None, pitch_semitones: float | None
    ) -> None:
        """The latest rolling summary's slow figures (over its window)."""
        self.wpm, self.fillers_per_min, self.pitch_semitones = wpm, fillers_per_min, pitch_semitones

    def signals(self) -> Signals:
        newest = self._frames[-1][0] if self._frames else 0.0
        recent = [f for f in self._frames if f[0] >= newest - 3.0]
        faces = [f for f in self._frames if f[1] and f[0] >= newest - 10.0]
        contact = [f[2] for f in self._frames if f[1] and f[2] is not None]
        levels = [level for _, level in self._levels]
        now = self._audio_end
        silent_for = 0.0 if self._stopped is None or now is None else now - self._stopped
        without_pause = answer = None
        if now is not None:
            since, turn = self._speaking_since, self._turn_since
            without_pause = (
                now - since if since is not None and silent_for < self.min_pause else 0.0
            )
            answer = now - turn if turn is not None and silent_for < self.turn_gap else 0.0
        return Signals(
            face_visible=sum(f[1] for f in recent) / len(recent) if len(recent) >= 3 else None,
            lighting=sum(f[3] for f in faces) / len(faces) if len(faces) >= 5 else None,
            eye_contact=sum(contact) / len(contact) if len(contact) >= 10 else None,
            level_dbfs=median(levels) if len(levels) >= 10 else None,
            wpm=self.wpm,
            fillers_per_min=self.fillers_per_min,
            pitch_semitones=self.pitch_semitones,
            without_pause=without_pause,
            answer=answer,
        )
