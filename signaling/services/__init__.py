"""What the API does, free of any web framework: sessions (:mod:`.sessions`, their options in
:mod:`.session_options`), a person across sessions (:mod:`.subjects`), recordings
(:mod:`.recordings`), uploaded files analysed out of process (:mod:`.uploads`) and the workers
that are gone (:mod:`.workers`).
"""
