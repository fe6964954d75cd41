"""Indices into MediaPipe's 478-point face mesh, named for what they mark.

"Right" and "left" are the subject's: the subject's right eye is on the image's left.
"""

from __future__ import annotations

# Eye corners and lids, per eye, in image order (image-left corner first).
RIGHT_EYE_CORNERS = (33, 133)  # outer (image left), inner
LEFT_EYE_CORNERS = (362, 263)  # inner (image left), outer
RIGHT_EYE_LIDS = (159, 145)  # upper, lower
LEFT_EYE_LIDS = (386, 374)
RIGHT_IRIS = 468  # centre; 469-472 are its rim
LEFT_IRIS = 473

# Six points per eye for the eye aspect ratio (Soukupová & Čech 2016): corner, two upper lid
# points, the other corner, two lower lid points (p1..p6).
RIGHT_EYE_EAR = (33, 160, 158, 133, 153, 144)
LEFT_EYE_EAR = (362, 385, 387, 263, 373, 380)

# The eye openings, as closed outlines (for crops and masks).
RIGHT_EYE_OUTLINE = (33, 246, 161, 160, 159, 158, 157, 173, 133, 155, 154, 153, 145, 144, 163, 7)
LEFT_EYE_OUTLINE = (263, 466, 388, 387, 386, 385, 384, 398, 362, 382, 381, 380, 374, 373, 390, 249)

# Mirror-symmetric pairs (subject's right, subject's left): their mean direction is the face's
# lateral axis whatever the face's shape.
SYMMETRIC_PAIRS = (
    (33, 263),  # outer eye corners
    (133, 362),  # inner eye corners
    (159, 386),  # upper lids
    (145, 374),  # lower lids
    (70, 300),  # brows
    (61, 291),  # mouth corners
    (234, 454),  # cheeks at the ears
)
MOUTH_CORNERS = (61, 291)
