"""What the pages call typical, in the words they say it: one place for the report's cards and
the progress page (the sources are in ``docs/analyzers.md``, "What the pages call typical")."""

from __future__ import annotations

from locales import N_

EYE_CONTACT = N_(
    "people speaking look at their listener about 40 % of the time, listening about 75 %"
)
BLINKS = N_("about 17 a minute is typical at rest, more while talking")
PAUSES = N_("pauses of 0.5-2 s read as thought")
PACE = N_("100-165 words a minute is comfortable to follow")
PACE_MANDARIN = N_("{low}-{high} characters a minute is comfortable to follow")
PITCH_VARIATION = N_("2-4 semitones sounds lively, under 1.5 flat")
LOUDNESS = N_("speech at -30 to -15 dB here reaches a listener well; under -40 is too quiet")
FILLERS = N_("about 2 a minute is usual in conversation")
