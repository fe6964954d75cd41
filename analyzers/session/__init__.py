"""A whole session: the stream core that runs the video, voice and word analyzers on one
stream for every path (:mod:`.stream`), the report built from what it keeps (:mod:`.report`,
with :mod:`.timeline`), the live coach (:mod:`.coach`) and a person's progress across sessions
(:mod:`.progress`).
"""

from analyzers.exports import lazy

__getattr__, __dir__, __all__ = lazy(
    __name__,
    {
        "Report": ".report",
        "Quality": ".report",
        "build_report": ".report",
        "SummaryFields": ".summary",
        "Coach": ".coach",
        "CoachThresholds": ".coach",
        "Nudge": ".coach",
        "HEADLINES": ".progress",
        "compare": ".progress",
        "headline_figures": ".progress",
        "StreamParams": ".stream",
    },
)
