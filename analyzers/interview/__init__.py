"""Interview practice as pure code: question sets (:mod:`.questions`), the flow of one interview
from question to answer to the next (:mod:`.flow`), and what each answer's words say
(:mod:`.answers`). The live shell that drives it over the data channel is
``webrtc/runtime/interviewer.py``.
"""

from analyzers.interview.answers import AnswerCues, answer_cues
from analyzers.interview.flow import Interview, InterviewTimes
from analyzers.interview.questions import Question, QuestionBank, QuestionFileError

__all__ = [
    "AnswerCues",
    "Interview",
    "InterviewTimes",
    "Question",
    "QuestionBank",
    "QuestionFileError",
    "answer_cues",
]
