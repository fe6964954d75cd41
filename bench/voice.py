"""What the interviewer's voice costs: ``python -m bench.voice``.

Every shipped question (English and Chinese) said by espeak-ng through
``webrtc/runtime/speech_synthesis.py``, one at a time: wall time per question (a child process,
then resampling to 48 kHz off the event loop), the child's CPU time, and the seconds of speech
it makes. The event loop's own share is the resampling hand-off only.
"""

from __future__ import annotations

import asyncio
import resource
import statistics
import time

from analyzers.interview.questions import QuestionBank
from webrtc.runtime.speech_synthesis import RATE, EspeakVoice


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


async def measure(language: str) -> dict[str, float]:
    voice = EspeakVoice(workers=1)
    bank = QuestionBank.load()
    texts = [q.text for (lang, _), s in bank.sets.items() if lang == language for q in s.questions]
    walls, cpus, spoken = [], [], []
    for text in texts:
        cpu0, t0 = children_cpu(), time.perf_counter()
        pcm = await voice.speak(text, language)
        walls.append((time.perf_counter() - t0) * 1000)
        cpus.append((children_cpu() - cpu0) * 1000)
        assert pcm is not None
        spoken.append(pcm.size / RATE)
    return {
        "questions": len(texts),
        "wall_ms_median": round(statistics.median(walls), 1),
        "wall_ms_max": round(max(walls), 1),
        "child_cpu_ms_median": round(statistics.median(cpus), 1),
        "speech_s_median": round(statistics.median(spoken), 2),
    }


def main() -> None:
    print(
        "| language | questions | wall ms (median) | wall ms (max) "
        "| espeak-ng CPU ms (median) | speech s (median) |"
    )
    print("|---|---|---|---|---|---|")
    for language in ("en", "zh"):
        m = asyncio.run(measure(language))
        print(
            f"| {language} | {m['questions']} | {m['wall_ms_median']} | {m['wall_ms_max']} | "
            f"{m['child_cpu_ms_median']} | {m['speech_s_median']} |"
        )


if __name__ == "__main__":
    main()
