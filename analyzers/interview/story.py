"""The parts of a story in an answer (situation, task, action, result) and the key points it
touched, from cue phrases over folded words (:mod:`analyzers.words.match`), so that "So, I
added", "so I added" and "so i added" are one thing.

- **Situation**: where and when ("when I was", "at my last job", "two years ago", "in 2021",
  "we had a"; 当时, 有一次, 之前在).
- **Task**: what was asked of you or the goal ("I was responsible for", "I had to", "the goal
  was", "the problem was"; 我负责, 目标是, 问题是).
- **Action**: "I" or "we" followed, within two words, by a verb of doing ("I built", "so I
  added", "we then rolled out", "what I did was"; 我/我们 + 做了, 修复, 组织, 上线…; 于是, 首先).
- **Result**: an outcome phrase ("as a result", "in the end", "which meant", "I learned") or a
  number next to a change ("dropped by 90 percent", "went from 8 to 2 seconds", "saved 3
  hours", "doubled"; 降低了 90%, 从 8 秒到 2 秒, 提升了一倍).

A cue is a hint, not proof: a story told without any of these phrases is missed, and a phrase
said in passing is counted. The agreement with a careful reader, per cue, is measured on a set
of judged answers (``tests/analyzers/answers/``; ``docs/interview.md``).

Key points are matched on stems: a point counts as touched when one of its guide's words or
phrases (stemmed, in order) is in the answer; a point without words is touched by any of its own
content words. In Chinese a point's words are looked for as they are written.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from analyzers.interview.questions import KeyPoint
from analyzers.words.match import chinese, find_phrase, stems, words

PARTS = ("situation", "task", "action", "result")

_NUM = (
    r"(?:\d[\d.]*x?|zero|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|"
    r"fifteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|hundred|thousand|million|"
    r"half|a few|a couple of|several|dozens of|hundreds of|thousands of)"
)
_AMOUNT = (
    r"(?:\d[\d.]*x?|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|"
    r"twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|hundred|thousand|million|half)"
)
"""A quantity a result is measured in ("one" and "a few" say too little)."""
_ACTION_VERBS = (
    "added adjusted analyzed applied arranged asked automated began booked brought broke "
    "built called changed checked chose cleaned coached collected combined contacted convinced "
    "coordinated created cut debugged decided defined delegated deployed designed developed "
    "documented drafted drove escalated explained fixed followed found gathered handled "
    "hired implemented improved interviewed introduced investigated launched led made mapped "
    "measured mentored met migrated moved negotiated offered opened organized paired picked "
    "planned prepared presented prioritized proposed prototyped pulled pushed put ran "
    "reached rebuilt recorded redesigned refactored removed reorganized replaced reproduced "
    "reran researched restructured reviewed rewrote rolled sat scheduled sent set shared "
    "shipped showed simplified spent split spoke started stepped streamlined suggested "
    "switched talked taught tested took traced trained tried turned updated used volunteered "
    "wrote "
    "add analyze build call change check create decide design fix implement introduce lead "
    "make organize plan propose reach rewrite set start suggest talk test try write"
).split()
_ADVERBS = (
    "then also first quickly immediately personally eventually finally just actually "
    "basically really instead simply carefully together still next"
).split()
_OUTCOMES = (
    r"as a result|in the end|the result|the results|result was|resulted in|led to|"
    r"which meant|that meant|this meant|ended up|the outcome|at the end|in the long run|"
    r"since then|from then on|ever since|after that we|so now|now we|now i|"
    r"i learned|i learnt|we learned|taught me|the lesson|"
    r"we shipped|we launched|we delivered|we won|we closed|we signed|it worked|went live|"
    r"on time|ahead of schedule|closed the deal|signed the contract|renewed|got promoted|"
    r"thanked me|was happy|were happy|was resolved|got resolved|never happened again|"
    r"(?:it|this|that) (?:saved|cut|reduced|increased|improved|doubled|halved|brought)"
)
_CHANGE = (
    r"reduced|reduce|reducing|cut|cutting|dropped|drop|dropping|fell|fall|decreased|decrease|"
    r"lowered|increased|increase|raised|rose|grew|grow|growing|improved|improve|improving|"
    r"boosted|saved|saving|save|doubled|tripled|halved|shrank|sped up|faster|slower|"
    r"fewer|lower|higher|shorter|"
    r"reduction|increase|improvement|growth|savings|drop"
)
EN: dict[str, re.Pattern[str]] = {
    "situation": re.compile(
        r"\b(?:when i was|when we were|while i was|while we were|back when|back in|"
        r"at my (?:last|previous|old|first|former|current)|in my (?:last|previous|old|first|"
        r"former|current)|at the time|one time|there was a time|there was a|there were|"
        r"we had a|we had an|our team (?:was|had)|i was working|i was a|i was an|"
        r"i worked (?:at|as|on|for)|i was at|during my|in (?:19|20)\d\d|the situation|"
        r"the context|the background|a while ago|earlier this year|"
        rf"{_NUM} (?:years|months|weeks|days) ago|a (?:year|month|week) ago|"
        r"last (?:year|month|quarter|summer|spring|autumn|fall|winter|week)|"
        r"a few years back|recently)\b"
    ),
    "task": re.compile(
        r"\b(?:i was (?:responsible|in charge|tasked|asked|supposed|expected|given|"
        r"assigned|the owner|the lead)|my (?:job|task|role|goal|responsibility|assignment|"
        r"mission) (?:was|is)|(?:i|we) (?:needed|had|wanted) to|(?:the|our) (?:goal|task|"
        r"challenge|problem|issue|aim|objective|target) (?:was|is)|it was my job|"
        r"i owned|i had to make sure|we were asked|i was given|my responsibility)\b"
    ),
    "action": re.compile(
        rf"\b(?:(?:i|we) (?:(?:{'|'.join(_ADVERBS)}) ){{0,2}}(?:{'|'.join(_ACTION_VERBS)})|"
        r"what i did (?:was|is)|the first thing i did|my approach was|i started by|"
        r"i went (?:to|and|through)|i sat down|i got (?:the|everyone|together|them)|"
        r"i reached out|i stepped in|i took (?:ownership|the lead|charge))\b"
    ),
    "result": re.compile(
        rf"\b(?:{_OUTCOMES}|(?:{_CHANGE}) (?:\w+ ){{0,3}}?(?:by |to |from |about |around |"
        rf"over |almost |nearly |than )?{_AMOUNT}\b|{_AMOUNT} (?:percent )?(?:\w+ ){{0,2}}?"
        rf"(?:{_CHANGE})\b|from {_AMOUNT} (?:\w+ ){{0,3}}?(?:to|down to|up to) {_AMOUNT}|"
        r"(?:doubled|tripled|halved|\d+x faster|\d+ times faster))"
    ),
}
_ZH_NUM = r"(?:\d[\d.]*|百分之|[一二三四五六七八九十两半几百千万]+)"
_ZH_CHANGE = (
    r"(?:降低|减少|缩短|下降|降到|降了|提高|提升|增加|增长|上升|翻了|节省|省了|省下|加快|"
    r"减到|涨了|少了|多了|快了)"
)
ZH: dict[str, re.Pattern[str]] = {
    "situation": re.compile(
        r"当时|那时候|那时|之前在|以前在|在上一家|上一家公司|上家公司|有一次|有一回|"
        r"去年|前年|那年|情况是|背景是|我在.{1,10}(?:的时候|工作|实习|做)|"
        rf"{_ZH_NUM}年前|(?:19|20)\d\d年"
    ),
    "task": re.compile(
        r"我负责|由我负责|我的任务|任务是|目标是|我的目标|我们的目标|我需要|我们需要|我要|"
        r"我得|需要我|让我|要求我|问题是|挑战是|我的工作是|我的职责"
    ),
    "action": re.compile(
        r"(?:我|我们)(?:就|先|又|也|马上|立刻|主动|然后|首先|于是|一起|亲自)?"
        r"(?:做了|写了|加了|改了|修复|修了|设计|组织|搭建|开发|推动|提出|决定|开始|安排|联系|"
        r"分析|重构|上线|优化|沟通|找了|找到|调整|引入|建立|制定|整理|实现|测试|排查|带领|"
        r"协调|说服|解释|打电话|拆分|重写|迁移|部署|培训|申请|提供|给)|"
        r"于是|首先|接着|然后我|我的做法"
    ),
    "result": re.compile(
        rf"结果|最后|最终|后来|终于|成功|学到|学会|教训|收获|按时|上线了|签约|签了|拿下|"
        rf"{_ZH_CHANGE}.{{0,6}}?{_ZH_NUM}|{_ZH_NUM}[^。]{{0,4}}?{_ZH_CHANGE}|"
        rf"从{_ZH_NUM}.{{0,8}}?(?:到|降到|提到|减到|变成){_ZH_NUM}|翻倍|一倍"
    ),
}


@dataclass(frozen=True)
class StoryParts:
    found: dict[str, str]
    """Each part heard and the words that showed it."""


def story_parts(text: str, family: str) -> StoryParts:
    """The parts of a story heard in ``text`` (``family``: ``en`` or ``zh``)."""
    if family == "zh":
        folded = chinese(text)
        found = {}
        for part in PARTS:
            if m := ZH[part].search(folded):
                found[part] = folded[max(0, m.start()) : m.end() + 6]
        return StoryParts(found)
    said = words(text)
    joined = " ".join(said)
    found = {}
    for part in PARTS:
        if m := EN[part].search(joined):
            start = joined.count(" ", 0, m.start())
            end = joined.count(" ", 0, m.end()) + 1
            found[part] = " ".join(said[start : min(len(said), max(end + 3, start + 6))])
    return StoryParts(found)


def _point_words(point: KeyPoint) -> list[str]:
    if point.words:
        return list(point.words)
    return [w for w in words(point.point) if len(w) > 3 and w not in _STOP]


_STOP = frozenset(
    "about after also and any are because been being but can could did does doing for from "
    "had has have how into its just like more most not one only other our out over own same "
    "should some such than that the their them then there these they this those through very "
    "was were what when where which while who why will with would your you".split()
)


def touched(points: tuple[KeyPoint, ...], text: str, family: str) -> dict[str, str]:
    """The key points touched in ``text``, each with the word or phrase that showed it."""
    found: dict[str, str] = {}
    if family == "zh":
        folded = chinese(text)
        for point in points:
            shown = point.words or tuple(_pairs(chinese(point.point)))
            hit = next((w for w in shown if chinese(w) and chinese(w) in folded), None)
            if hit is not None:
                found[point.point] = hit
        return found
    said = stems(words(text))
    for point in points:
        for phrase in _point_words(point):
            wanted = stems(words(phrase))
            if find_phrase(said, wanted) is not None:
                found[point.point] = phrase
                break
    return found


def _pairs(core: str) -> list[str]:
    """Two-character pieces of a Chinese point written without words."""
    return [core[i : i + 2] for i in range(max(1, len(core) - 1))]
