"""What the person said: speech recognition behind one small interface
(:mod:`.recognition`), the utterances cut from a stream for it (:mod:`.utterances`), and what the
words say about delivery: fillers, hedges, repetitions (:mod:`.language`), and words folded for
matching: punctuation, contractions, spellings and stems (:mod:`.match`).
"""

from analyzers.exports import lazy

__getattr__, __dir__, __all__ = lazy(
    __name__,
    {
        "SpeechRecognizer": ".recognition",
        "WhisperRecognizer": ".recognition",
        "SpeechClip": ".recognition",
        "transcribe": ".recognition",
        "Utterance": ".language",
        "Word": ".language",
        "LanguageSummary": ".language",
        "summarise": ".language",
        "words": ".match",
        "stems": ".match",
        "chinese": ".match",
    },
)
