"""Interview practice as pure code: question sets and their guides (:mod:`.questions`), the flow
of one interview from question to answer to the next (:mod:`.flow`), what each answer's words
say (:mod:`.answers`, with the parts of a story and the key points in :mod:`.story`), the advice
each answer gets (:mod:`.advice`, its words in :mod:`.advice_text`), the verdict
(:mod:`.verdict`) and a recorded interview found by question (:mod:`.recorded`). The live shell
that drives it over the data channel is ``webrtc/runtime/interviewer.py``.
"""

from analyzers.interview.advice import Advice, Tip, advise
from analyzers.interview.answers import AnswerCues, answer_cues
from analyzers.interview.flow import Interview, InterviewTimes
from analyzers.interview.questions import KeyPoint, Question, QuestionBank, QuestionFileError
from analyzers.interview.recorded import find_questions, recorded_answers

__all__ = [
    "Advice",
    "AnswerCues",
    "Interview",
    "InterviewTimes",
    "KeyPoint",
    "Question",
    "QuestionBank",
    "QuestionFileError",
    "Tip",
    "advise",
    "answer_cues",
    "find_questions",
    "recorded_answers",
]
