"""The WebRTC side of a session: its peer connection and lifecycle (:mod:`.session`), the
process's sessions (:mod:`.registry`), the ``analysis`` data channel (:mod:`.channel`, bounded
below aiortc in :mod:`.sctp`, rate limited by :mod:`.tokenbucket`), taps on the remote tracks
(:mod:`.tracks`), what is asked of and counted on the packets (:mod:`.rtp`), recording
(:mod:`.recording`), the UDP port range (:mod:`.udp_ports`) and the event loop (:mod:`.loops`).
"""

from analyzers.exports import lazy

__getattr__, __dir__, __all__ = lazy(
    __name__,
    {
        "AnalysisSession": ".session",
        "SessionRegistry": ".registry",
        "ResultChannel": ".channel",
        "VoiceTrack": ".voice_track",
        "Recorder": ".recorder",
    },
)
