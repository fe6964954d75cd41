"""The analysis runtime: how frames reach the stream core and results come back, with no
WebRTC in it. Pipelines per track (:mod:`.pipeline`) on the process's shared analysis threads
(:mod:`.scheduler`), with speech recognition (:mod:`.transcription`) and posture
(:mod:`.posture_worker`) on bounded workers of their own; PyAV frames as arrays
(:mod:`.frames`); a session's transcript (:mod:`.transcript`) and live coach
(:mod:`.live_coach`); recorded files through the same core (:mod:`.file_analysis`); and what a
pipeline needs to know (:mod:`.config`).
"""

from analyzers.exports import lazy

__getattr__, __dir__, __all__ = lazy(
    __name__,
    {
        "PipelineConfig": ".config",
        "AudioPipeline": ".pipeline",
        "VideoPipeline": ".pipeline",
        "AnalysisScheduler": ".scheduler",
        "TranscriptionPool": ".transcription",
        "Interviewer": ".interviewer",
        "InterviewPlan": ".interviewer",
        "EspeakVoice": ".speech_synthesis",
        "Reviewer": ".answer_review",
        "LiveCoach": ".live_coach",
    },
)
