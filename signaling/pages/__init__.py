"""The HTML a person reads: the report (:mod:`.report`), its review beside the recording
(:mod:`.review`) and the comparison with their last sessions (:mod:`.progress`).
"""
