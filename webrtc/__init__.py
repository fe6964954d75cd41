"""The live shell around the stream core: peer connections, sessions and their lifecycle, track
taps, the pipelines that move frames to the shared analysis threads, and the data channel.

Media flows one way: remote tracks -> taps -> pipelines -> the stream core
(:mod:`analyzers.stream`, on the analysis threads) -> typed messages on the ``analysis`` data
channel. Recorded files go through the same core (:mod:`webrtc.offline`), with PyAV frames
adapted by :mod:`webrtc.media`. Nothing here computes a metric.
"""
