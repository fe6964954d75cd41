"""The voice analyzers: 16 kHz mono audio, in windows as it streams.

Voice activity (:mod:`.activity`) and the speech start and stop events it gives
(:mod:`.speech_events`), loudness (:mod:`.loudness`), pitch and spectral shape
(:mod:`.prosody`, :mod:`.yin`), speaking rate from syllables (:mod:`.speaking_rate`); the
chain per window (:mod:`.windows`) and the rolling and whole-session summary (:mod:`.summary`).
"""

from analyzers.exports import lazy

__getattr__, __dir__, __all__ = lazy(
    __name__,
    {
        "AudioAnalyzer": ".windows",
        "AudioAnalysisOptions": ".windows",
        "AudioWindowResult": ".windows",
        "VoiceActivityDetector": ".activity",
        "SpeechStarted": ".speech_events",
        "SpeechStopped": ".speech_events",
        "AudioSummary": ".summary",
        "PitchStats": ".summary",
        "Arousal": ".summary",
        "SpeakingRate": ".summary",
    },
)
