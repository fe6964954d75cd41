"""The live shell around the stream core: peer connections and sessions (:mod:`webrtc.peer`)
apart from the analysis runtime that moves frames to the analysis threads and results back
(:mod:`webrtc.runtime`); the data-channel protocol both speak (:mod:`webrtc.protocol`, the
results as messages in :mod:`webrtc.results`), a session's states and counters
(:mod:`webrtc.lifecycle`) and how a session tells the server what happens to it
(:mod:`webrtc.hooks`).

Media flows one way: remote tracks -> taps -> pipelines -> the stream core
(:mod:`analyzers.session.stream`, on the analysis threads) -> typed messages on the
``analysis`` data channel. Recorded files go through the same core
(:mod:`webrtc.runtime.file_analysis`). Nothing here computes a metric.
"""
