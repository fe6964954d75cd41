"""The HTML a person reads: the report (:mod:`.report`, its headline figures in
:mod:`.cards`), its review beside the recording (:mod:`.review`) and the comparison with their
last sessions (:mod:`.progress`), in the request's language (:mod:`locales`).
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
