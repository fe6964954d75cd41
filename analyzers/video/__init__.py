"""The video analyzers: what one frame, and a stream of them, show of a face and a body.

Faces (:mod:`.face`, landmarks named in :mod:`.landmarks`), head pose (:mod:`.head_pose`),
gaze and eye contact (:mod:`.gaze`), blinks (:mod:`.blinks`), expression (:mod:`.expression`),
framing and light (:mod:`.framing`), posture and hands (:mod:`.posture`); everything on one
frame together (:mod:`.frame`), which frames to analyse (:mod:`.sampling`) and the rolling and
whole-session summary (:mod:`.summary`).
"""

from analyzers.exports import lazy

__getattr__, __dir__, __all__ = lazy(
    __name__,
    {
        "VideoFrameAnalyzer": ".frame",
        "VideoFrameResult": ".frame",
        "VideoAnalysisOptions": ".frame",
        "VideoModels": ".frame",
        "build_video_models": ".frame",
        "VideoSummary": ".summary",
        "FramingSummary": ".summary",
        "PostureSummary": ".posture",
        "Posture": ".posture",
        "PoseModel": ".posture",
        "GazeReference": ".gaze",
        "Calibration": ".gaze",
        "BlinkDetector": ".blinks",
        "SetupCheck": ".framing",
    },
)
