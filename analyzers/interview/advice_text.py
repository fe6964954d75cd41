# ruff: noqa: E501  (sentences read better whole than wrapped)
"""The words of the advice, written in English and translated by the catalogs (``locales``):
for each check what was heard and what to do instead, and the names of the figures and their
typical ranges. Fields in braces are filled from the answer (``{missed}``, ``{wpm}``…); quotes of what the person said are added by
the page, escaped.
"""

from __future__ import annotations

from locales import N_, locale_of_language, translator

TEXTS: dict[str, tuple[str, str]] = {
    # to change: (what was heard, what to do instead)
    "silent": (N_("Only {words} words were heard in this answer."),
               N_("Answer out loud in full sentences: even a rough first try shows what to work on.")),
    "coverage": (N_("You did not cover {missed}."),
                 N_("Add a sentence on {first}.")),
    "structure.none": (N_("This was not told as a story."),
                       N_("Tell one real example: where and when, what you had to do, what you did, and what changed.")),
    "structure.result": (N_("Your story had no clear result."),
                         N_("End with what changed, with a figure if you can: \"As a result, … dropped by …\".")),
    "structure.action": (N_("It was not clear what you did yourself."),
                         N_("Say the steps you took: \"I built…\", \"I talked to…\", \"I changed…\".")),
    "structure.situation": (N_("The story had no setting."),
                            N_("Open with one sentence on where and when: \"At my last job, …\".")),
    "structure.task": (N_("Your goal or responsibility was not said."),
                       N_("Say what you had to achieve: \"My job was to…\", \"The goal was…\".")),
    "specific": (N_("There were no figures in this answer."),
                 N_("Give one number: how much, how many, how long, or how much faster.")),
    "ownership": (N_("You said \"we\" {we} times and \"I\" {i} times."),
                  N_("Say what you did yourself: \"I proposed…\", \"I wrote…\".")),
    "length.short": (N_("Your answer lasted {duration} s; about {seconds} s is suggested."),
                     N_("Go through each step of a strong answer (\"How a strong answer goes\"), ending with: {step}")),
    "length.short.bare": (N_("Your answer lasted {duration} s; about {seconds} s is suggested."),
                          N_("Add an example: what happened, what you did and what came of it.")),
    "length.long": (N_("Your answer lasted {duration} s, well over the {seconds} s suggested."),
                    N_("Lead with your main point, keep one example and stop after its result.")),
    "fillers": (N_("{rate} filler words (um, uh) a minute."),
                N_("Pause silently instead: a short silence sounds thoughtful, a filler sounds unsure.")),
    "hedges": (N_("You softened what you said {n} times (I think, maybe, probably)."),
               N_("Say what you did and what you know plainly: \"I fixed it\", not \"I think I maybe fixed it\".")),
    "pace.fast": (N_("{wpm} words a minute is fast for an interview."),
                  N_("Slow down at the key points and let each sentence land.")),
    "pace.slow": (N_("{wpm} words a minute is slow."),
                  N_("Know your outline before you start, so the words come readily; use shorter sentences.")),
    "first_word": (N_("You started {s} s after the question."),
                   N_("Buy time out loud while you think: \"Let me think of a good example…\".")),
    "eye_contact": (N_("You looked at the camera {pct} of the time."),
                    N_("Look at the lens, not at your own picture, at least at the start and end of each point.")),
    "voice": (N_("Your voice varied by only {st} semitones, which can sound flat."),
              N_("Stress the key word of each sentence and let your voice rise and fall.")),
    # done well: (what was heard, "")
    "coverage.all": (N_("You covered the key points: {covered}."), ""),
    "structure.complete": (N_("You told it as a full story: situation, task, action and result."), ""),
    "specific.good": (N_("You made it concrete with {numbers} figures."), ""),
    "length.ok": (N_("A good length: {duration} s, with about {seconds} s suggested."), ""),
    "fillers.few": (N_("Few filler words: {rate} a minute."), ""),
    "pace.ok": (N_("A comfortable pace: {wpm} words a minute."), ""),
    "first_word.quick": (N_("You started promptly, {s} s after the question."), ""),
    "eye_contact.good": (N_("Steady eye contact: {pct} of the time."), ""),
    "voice.good": (N_("A lively voice: {st} semitones of variation."), ""),
    # the figures and their typical ranges
    "figure.words": (N_("words"), ""),
    "figure.points": (N_("key points covered"), ""),
    "figure.story": (N_("parts of a story (situation, task, action, result)"), ""),
    "figure.numbers": (N_("numbers given"), ""),
    "figure.ownership": (N_("\"I\" against \"we\""), ""),
    "figure.length": (N_("seconds"), ""),
    "figure.fillers": (N_("filler words a minute"), ""),
    "figure.hedges": (N_("softening words"), ""),
    "figure.pace": (N_("words a minute"), ""),
    "figure.first_word": (N_("seconds before the first word"), ""),
    "figure.eye_contact": (N_("share of time looking at the camera"), ""),
    "figure.voice": (N_("pitch variation (semitones)"), ""),
    "typical.words": (N_("a full answer has {full} words or more"), ""),
    "typical.points": (N_("a strong answer covers all of them"), ""),
    "typical.story": (N_("all four make a clear story"), ""),
    "typical.numbers": (N_("at least one"), ""),
    "typical.ownership": (N_("say what you did yourself"), ""),
    "typical.length": (N_("about {seconds} s suggested"), ""),
    "typical.fillers": (N_("under 3"), ""),
    "typical.hedges": (N_("a few are natural"), ""),
    "typical.pace": (N_("{low}-{high}"), ""),
    "typical.first_word": (N_("5 s or less"), ""),
    "typical.eye_contact": (N_("40 % or more while speaking"), ""),
    "typical.voice": (N_("2-4"), ""),
    # the verdict
    "where.one": (N_("Question {n}"), ""),
    "where.point": (N_("{where}: {text}"), ""),
    "where.many": (N_("Questions {ns}"), ""),
}  # fmt: skip


class _Fields(dict[str, object]):
    def __missing__(self, key: str) -> str:
        return ""


FULL_ANSWER = {"en": 100, "zh": 150}
"""Words (English) or characters (Chinese) of a full answer."""


def say(language: str, key: str, **fields: object) -> tuple[str, str]:
    """(text, what to do) of ``key`` in ``language`` (``en``, ``zh``; its catalog in
    ``locales``), fields filled in."""
    words = translator(locale_of_language(language))
    text, do = TEXTS[key]
    values = _Fields({"full": FULL_ANSWER.get(words.locale, 100), **fields})
    return words.gettext(text).format_map(values), words.gettext(do).format_map(values)
