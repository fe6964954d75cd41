"""What the API does, free of any web framework: sessions (:mod:`.sessions`, their options in
:mod:`.session_options`), a person across sessions (:mod:`.subjects`), recordings
(:mod:`.recordings`), uploaded files analysed out of process (:mod:`.uploads`) and the workers
that are gone (:mod:`.workers`).
"""

from analyzers.exports import lazy

__getattr__, __dir__, __all__ = lazy(
    __name__,
    {
        "SessionService": ".sessions",
        "SessionOptions": ".session_options",
        "SubjectService": ".subjects",
        "LanguageModel": ".language_model",
        "Recordings": ".recordings",
        "UploadAnalyzer": ".uploads",
    },
)
