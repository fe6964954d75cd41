"""WebRTC plumbing: peer connections, tracks, pipelines and the data channel.

Media flows one way: remote tracks -> taps -> pipelines (analysis on executor threads) ->
typed messages on the ``analysis`` data channel. Nothing here computes a metric.
"""
