"""How often the content cues agree with a careful reader: ``python -m bench.advice_agreement``.

The judged set (``tests/analyzers/answers/judged.json``) holds written answers to shipped
questions, English and Chinese, good, weak and off-topic, each judged by hand: which parts of a
story it tells (for questions that ask for one), whether it gives a figure, which key points it
covers. Agreement per cue is the share of (answer, cue) pairs where the matcher says what the
reader said. ``held_out`` answers were written later: round 1 after the cue lists were first
widened on the others (and then used to widen them again), round 2 after that, never used to
change anything. Round 2 is the honest figure for answers Lens has not seen.

``--spoken`` also says every answer with espeak-ng (English at 160 words a minute, Mandarin with
its pinyin voice), transcribes it with the server's recogniser (``tiny.en`` for English,
``base`` for Mandarin, one CTranslate2 thread) and scores the transcript against the same
judgement: what recognition costs the cues.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import tempfile
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from analyzers.interview.answers import answer_cues
from analyzers.interview.questions import Question, QuestionBank

JUDGED = Path(__file__).resolve().parent.parent / "tests" / "analyzers" / "answers" / "judged.json"
CUES = ("situation", "task", "action", "result", "numbers", "points")


@dataclass(frozen=True)
class Judged:
    id: str
    language: str
    question: Question
    kind: str
    held_out: int
    """0: used to build the cue lists; 1 and 2: written later (see the module's docstring)."""
    text: str
    truth: dict[str, Any]


def judged(path: Path = JUDGED) -> list[Judged]:
    """Every judged answer, with its shipped question."""
    data = json.loads(path.read_text(encoding="utf-8"))
    bank = QuestionBank.load()
    found = []
    for language in ("en", "zh"):
        questions = {
            q.id: q for (lang, _), s in bank.sets.items() if lang == language for q in s.questions
        }
        for a in data[language]:
            found.append(
                Judged(a["id"], language, questions[a["question"]], a["kind"],
                       int(a.get("held_out", 0)), a["text"], a["truth"])
            )  # fmt: skip
    return found


@dataclass
class Tally:
    agreed: int = 0
    total: int = 0

    @property
    def share(self) -> float:
        return self.agreed / self.total if self.total else float("nan")

    def __str__(self) -> str:
        return f"{self.share:.0%} ({self.agreed}/{self.total})" if self.total else "-"


def disagreements(answer: Judged, text: str) -> tuple[dict[str, Tally], list[str]]:
    """Per cue, how the matcher on ``text`` agrees with the judgement of ``answer``; and each
    disagreement in words."""
    cues = answer_cues(text, answer.language, answer.question, answer.question.seconds)
    tallies: dict[str, Tally] = defaultdict(Tally)
    wrong = []

    def check(cue: str, said: bool, truth: bool, what: str) -> None:
        tallies[cue].total += 1
        tallies[cue].agreed += said == truth
        if said != truth:
            wrong.append(f"{answer.id} {what}: judged {truth}, matched {said}")

    for part, truth in (answer.truth.get("story") or {}).items():
        check(part, cues.star[part], truth, part)
    check("numbers", cues.numbers > 0, answer.truth["numbers"], "numbers")
    for point, truth in answer.truth["points"].items():
        check("points", point in cues.covered, truth, f"point {point!r}")
    return tallies, wrong


def agreement(
    answers: Iterable[Judged], text: Callable[[Judged], str] = lambda a: a.text
) -> tuple[dict[str, Tally], list[str]]:
    """Agreement per cue over ``answers`` (their text, or ``text`` of each), and every
    disagreement."""
    total: dict[str, Tally] = {cue: Tally() for cue in CUES}
    wrong: list[str] = []
    for answer in answers:
        tallies, missed = disagreements(answer, text(answer))
        for cue, tally in tallies.items():
            total[cue].agreed += tally.agreed
            total[cue].total += tally.total
        wrong += missed
    return total, wrong


SENTENCE = re.compile(r"(?<=[.!?\u3002\uff01\uff1f])\s*")


def spoken(answers: list[Judged]) -> dict[str, str]:
    """Each answer said by espeak-ng, a sentence at a time (as the server hears utterances,
    never over 30 s), and transcribed by the server's recogniser (transcripts are kept next to
    the model cache, by text and model, so a second run only scores)."""
    from analyzers.words.recognition import SpeechClip, WhisperRecognizer, transcribe
    from modelfiles.registry import ASR_MODELS, ModelRegistry, default_cache_dir
    from testmedia.sources import phrase

    registry = ModelRegistry(default_cache_dir())
    models = {"en": "tiny.en", "zh": "base"}
    kept = default_cache_dir().parent / "spoken-answers.json"
    cache: dict[str, str] = json.loads(kept.read_text()) if kept.exists() else {}
    recognizers: dict[str, WhisperRecognizer] = {}
    heard = {}
    with tempfile.TemporaryDirectory() as tmp:
        for a in answers:
            model = models[a.language]
            key = hashlib.sha256(f"{model} by sentence\n{a.text}".encode()).hexdigest()
            if key not in cache:
                if model not in recognizers:
                    recognizers[model] = WhisperRecognizer(registry.bundle(ASR_MODELS[model]))
                voice, language = ("en", "en") if a.language == "en" else ("cmn-latn-pinyin", "zh")
                clips, t = [], 0.0
                for n, sentence in enumerate(s for s in SENTENCE.split(a.text) if s.strip()):
                    samples = phrase(sentence, Path(tmp) / f"{a.id}-{n}.wav", voice=voice)
                    clips.append(SpeechClip(t, t + samples.size / 16000, samples))
                    t += samples.size / 16000 + 0.8
                said = transcribe(recognizers[model], clips, language)
                cache[key] = " ".join(u.text.strip() for u in said)
                kept.write_text(json.dumps(cache, ensure_ascii=False))
            heard[a.id] = cache[key]
    return heard


def table(columns: dict[str, dict[str, Tally]]) -> str:
    head = "| cue | " + " | ".join(columns) + " |"
    rule = "|---|" + "---|" * len(columns)
    rows = [
        f"| {cue} | " + " | ".join(str(col[cue]) for col in columns.values()) + " |" for cue in CUES
    ]
    return "\n".join([head, rule, *rows])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spoken", action="store_true", help="also through espeak-ng and ASR")
    parser.add_argument(
        "--spoken-languages", default="en",
        help="which languages to say (zh: espeak-ng's Mandarin, which Whisper base mostly "
        "hears as silence: 38 of 39 answers came back empty with its cmn voice)",
    )  # fmt: skip
    parser.add_argument("--show", action="store_true", help="list every disagreement")
    args = parser.parse_args()
    answers = judged()
    columns: dict[str, dict[str, Tally]] = {}
    shown: list[str] = []
    for language in ("en", "zh"):
        mine = [a for a in answers if a.language == language]
        columns[f"{language} all ({len(mine)})"], wrong = agreement(mine)
        for round_ in (1, 2):
            held = [a for a in mine if a.held_out == round_]
            columns[f"{language} held out {round_} ({len(held)})"], _ = agreement(held)
        shown += wrong
    if args.spoken:
        languages = args.spoken_languages.split(",")
        heard = spoken([a for a in answers if a.language in languages])
        for language in languages:
            mine = [a for a in answers if a.language == language]
            name = f"{language} spoken ({'tiny.en' if language == 'en' else 'base'})"
            columns[name], wrong = agreement(mine, lambda a: heard[a.id])
            shown += [f"{w} [spoken]" for w in wrong]
    print(table(columns))
    if args.show:
        print("\n".join(shown))


if __name__ == "__main__":
    main()
