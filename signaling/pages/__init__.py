"""The HTML a person reads: the report (:mod:`.report`), its review beside the recording
(:mod:`.review`) and the comparison with their last sessions (:mod:`.progress`).
"""

from analyzers.exports import lazy

__getattr__, __dir__, __all__ = lazy(
    __name__,
    {
        "report_file": ".report",
        "context": ".report",
        "TEMPLATE": ".report",
    },
)
