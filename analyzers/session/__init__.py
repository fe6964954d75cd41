"""A whole session: the stream core that runs the video, voice and word analyzers on one
stream for every path (:mod:`.stream`), the report built from what it keeps (:mod:`.report`,
with :mod:`.timeline`), the live coach (:mod:`.coach`) and a person's progress across sessions
(:mod:`.progress`).
"""
