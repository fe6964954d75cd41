"""How soon a language model's review starts, and how often its advice holds up:
``python -m bench.review_latency [--answers 12]``.

Starts llama-cpp-python's OpenAI-compatible server (``.venv-llm``) with the model the tests use
(SmolLM2-135M-Instruct, one thread, as ``testmedia/language_model.py`` runs it), then asks it
for the review of judged written answers (``tests/analyzers/answers/judged.json``), one at a
time, exactly as the interviewer asks: the question, its guide, what was measured, the answer.
Measured per answer: seconds to the first streamed words and to the whole reply (wall clock,
the model alone: the answer's feedback goes out before the request), and whether the reply gave
advice in the form, and whether that advice held up against what was measured (otherwise the
rule-based advice stands). Prints medians and p90 as Markdown.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import time
import urllib.request

from analyzers.interview.advice import contradiction
from analyzers.interview.answers import AnswerFigures, answer_cues
from analyzers.interview.questions import Question
from analyzers.interview.verdict import AnswerResult
from bench.advice_agreement import judged
from signaling.services.language_model import LanguageModel
from testmedia.language_model import model_path, server_command
from webrtc.runtime.answer_review import ReviewRequest, describe

PORT = 8791


def result_of(text: str, language: str, question: Question) -> AnswerResult:
    words = len(text) if language == "zh" else len(text.split())
    seconds = words / (4.0 if language == "zh" else 2.3)
    figures = AnswerFigures(seconds, 2.0, words, None if language == "zh" else 140.0, 1, 1, 1.2,
                            0.5, "neutral", 2.4)  # fmt: skip
    cues = answer_cues(text, language, question, seconds)
    return AnswerResult(0, question, 1, "complete", 0.0, 2.0, 2.0 + seconds, text, figures, cues,
                        language=language).advised()  # fmt: skip


async def run(count: int) -> None:
    model = LanguageModel(f"http://127.0.0.1:{PORT}/v1", "smollm2", timeout=120)
    answers = [a for a in judged() if a.kind == "good"][:count]
    first, whole, formed, kept = [], [], 0, 0
    for a in answers:
        result = result_of(a.text, a.language, a.question)
        guide, measured = describe(result)
        request = ReviewRequest(a.question.text, a.text, a.language, guide, measured)
        review = await model.review(request)
        if review is None:
            continue
        whole.append(review.seconds)
        if review.first_words is not None:
            first.append(review.first_words)
        if review.advice is not None:
            formed += 1
            if contradiction(review.advice, result.heard(), f"{a.text} {measured}") is None:
                kept += 1
    await model.close()

    def p90(values: list[float]) -> float:
        return sorted(values)[max(0, int(len(values) * 0.9) - 1)] if values else float("nan")

    print("| answers | first words, median / p90 (s) | whole reply, median / p90 (s) | "
          "in the form | held up |")  # fmt: skip
    print("|---|---|---|---|---|")
    print(
        f"| {len(whole)} | {statistics.median(first):.2f} / {p90(first):.2f} | "
        f"{statistics.median(whole):.2f} / {p90(whole):.2f} | {formed} | {kept} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--answers", type=int, default=12)
    parser.add_argument("--threads", type=int, default=1, help="the model server's threads")
    args = parser.parse_args()
    server = subprocess.Popen(
        server_command(model_path(), PORT, args.threads),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(600):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{PORT}/v1/models", timeout=1)
                break
            except OSError:
                time.sleep(0.2)
        asyncio.run(run(args.answers))
    finally:
        server.terminate()
        server.wait()


if __name__ == "__main__":
    main()
