"""What the pages call typical, in the words they say it: one place for the report's cards and
the progress page (the sources are in ``docs/analyzers.md``, "What the pages call typical")."""

from __future__ import annotations

EYE_CONTACT = "people speaking look at their listener about 40 % of the time, listening about 75 %"
BLINKS = "about 17 a minute is typical at rest, more while talking"
PAUSES = "pauses of 0.5-2 s read as thought"
PACE = "100-165 words a minute is comfortable to follow"
PITCH_VARIATION = "2-4 semitones sounds lively, under 1.5 flat"
LOUDNESS = "speech at -30 to -15 dB here reaches a listener well; under -40 is too quiet"
FILLERS = "about 2 a minute is usual in conversation"
