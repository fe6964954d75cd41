"""What the person said: speech recognition behind one small interface
(:mod:`.recognition`), the utterances cut from a stream for it (:mod:`.utterances`), and what the
words say about delivery: fillers, hedges, repetitions (:mod:`.language`).
"""
