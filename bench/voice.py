"""What the interviewer's voice costs: ``python -m bench.voice [--voice piper]``.

Every shipped question said through ``webrtc/runtime/speech_synthesis.py``, one at a time:
espeak-ng for English and Chinese, or Piper (``en_US-joe-medium``) for English. Printed: wall
time per question (the child process, then resampling to 48 kHz off the event loop), the child's
CPU time (espeak-ng's process per question; Piper's long-lived worker, the first question
loading the voice) and the seconds of speech it makes.
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import statistics
import time

from analyzers.interview.questions import QuestionBank
from loadtest.capacity import cpu_seconds
from modelfiles.resolve import voice_model
from signaling.settings import Settings
from webrtc.runtime.speech_synthesis import RATE, EspeakVoice, PiperVoice, Voice


def children_cpu(voice: Voice) -> float:
    if isinstance(voice, PiperVoice):
        process = voice._process
        return 0.0 if process is None else cpu_seconds(process.pid)
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


async def measure(language: str, which: str) -> dict[str, float]:
    voice: Voice = EspeakVoice(workers=1)
    if which == "piper":
        model = voice_model("piper", Settings().model_dir)
        assert model is not None
        voice = PiperVoice(*model)
        await voice.speak("Hello.", "en")  # the voice loaded, as in a running server
    bank = QuestionBank.load()
    texts = [q.text for (lang, _), s in bank.sets.items() if lang == language for q in s.questions]
    walls, cpus, spoken = [], [], []
    for text in texts:
        cpu0, t0 = children_cpu(voice), time.perf_counter()
        pcm = await voice.speak(text, language)
        walls.append((time.perf_counter() - t0) * 1000)
        cpus.append((children_cpu(voice) - cpu0) * 1000)
        assert pcm is not None
        spoken.append(pcm.size / RATE)
    if isinstance(voice, PiperVoice):
        await voice.close()
    return {
        "questions": len(texts),
        "wall_ms_median": round(statistics.median(walls), 1),
        "wall_ms_max": round(max(walls), 1),
        "child_cpu_ms_median": round(statistics.median(cpus), 1),
        "speech_s_median": round(statistics.median(spoken), 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.voice", description=__doc__)
    parser.add_argument("--voice", choices=["espeak", "piper"], default="espeak")
    args = parser.parse_args()
    print(
        "| voice | questions | wall ms (median) | wall ms (max) "
        "| voice CPU ms (median) | speech s (median) |"
    )
    print("|---|---|---|---|---|---|")
    for language in ("en", "zh") if args.voice == "espeak" else ("en",):
        m = asyncio.run(measure(language, args.voice))
        print(
            f"| {args.voice} {language} | {m['questions']} | {m['wall_ms_median']} | "
            f"{m['wall_ms_max']} | {m['child_cpu_ms_median']} | {m['speech_s_median']} |"
        )


if __name__ == "__main__":
    main()
