"""The video analyzers: what one frame, and a stream of them, show of a face and a body.

Faces (:mod:`.face`, landmarks named in :mod:`.landmarks`), head pose (:mod:`.head_pose`),
gaze and eye contact (:mod:`.gaze`), blinks (:mod:`.blinks`), expression (:mod:`.expression`),
framing and light (:mod:`.framing`), posture and hands (:mod:`.posture`); everything on one
frame together (:mod:`.frame`), which frames to analyse (:mod:`.sampling`) and the rolling and
whole-session summary (:mod:`.summary`).
"""
