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

from analyzers.interview.questions import STORY_PARTS, KeyPoint
from analyzers.words.match import STOP_WORDS, chinese, find_phrase, stems, words

PARTS = STORY_PARTS
QUOTE_WORDS = 12
"""Words of a sentence quoted as the evidence of a part (from where its cue starts)."""

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
    "added adjusted analyzed answered apologized applied arranged asked automated began booked "
    "brought broke built called changed checked chose cleaned coached collected combined "
    "committed contacted convinced coordinated created cut debugged decided defined delegated "
    "deployed designed developed documented drafted drove emailed escalated explained fixed "
    "followed gathered gave handled hired implemented improved interviewed introduced "
    "investigated launched led let listened looked made mapped measured mentored met migrated "
    "moved negotiated offered opened organized paired picked pinned planned prepared presented "
    "prioritized promised proposed prototyped pulled pushed put ran reached rebuilt recorded "
    "redesigned refactored refunded reissued removed reorganized repeated replaced replied "
    "reproduced reran researched restructured reviewed rewrote rolled sat scheduled sent set "
    "tagged counted logged flagged tracked noted compiled reported raised filed "
    "shared shipped showed simplified sketched spent split spoke started stepped streamlined "
    "suggested switched talked taught tested told took traced trained tried turned updated used "
    "volunteered wrote"
).split()
"""Verbs of doing, in the past: a story is told in the past, and "I fix bugs all the time" is a
habit, not an action."""
_ADVERBS = (
    "then also first quickly immediately personally eventually finally just actually "
    "basically really instead simply carefully together still next mostly"
).split()
_PAST = (
    r"(?:was|were|had|did|came|went|told|took|gave|got|made|ran|sat|led|found|began|broke|"
    r"brought|built|caught|chose|fell|felt|grew|held|kept|knew|lost|met|paid|put|said|saw|"
    r"sent|set|spent|stood|thought|won|wrote|\w{3,}ed)"
)
_MONTHS = (
    r"(?:january|february|march|april|may|june|july|august|september|october|november|"
    r"december|monday|tuesday|wednesday|thursday|friday|saturday|sunday)"
)
LESSON = re.compile(r"\b(?:what i learned|the lesson|taught me|i learned that|i realized that)\b")
"""A lesson drawn (a result of a story about a failure), general by nature: it counts even in a
sentence with "usually"."""
CLOSING_FIGURE = re.compile(
    rf"\b{_PAST}\b(?: \w+){{0,8}}? {_AMOUNT}\b|\b{_AMOUNT}\b(?: \w+){{0,6}}? {_PAST}\b"
)
"""A figure and something that happened, in the last two sentences of a story: where a story
puts its result ("The next three hires shipped in under two weeks")."""
HABITUAL = re.compile(
    r"\b(?:usually|always|normally|generally|typically|often|sometimes|most of the time|"
    r"tend to|in general)\b"
)
"""A sentence about what one does in general: no part of a story, however it is worded."""
NARRATIVE_OPENING = re.compile(
    rf"^(?:so |and |well |um |uh )?(?:a|an|one|our|my|the|this|that|during|on a|"
    rf"last {_MONTHS})\b(?: [\w.]+){{0,7}}? {_PAST}\b"
)
"""A sentence that opens a story: a thing, a person or a time, then something that happened
("A customer called…", "Our app crashed…", "During the outage last November…")."""
FIRST_PERSON_OPENING = re.compile(
    r"^(?:so |well |um |uh )?i (?:\w+ )?(?:inherited|joined|lost|took over|moved|started|led|"
    r"ran|managed|worked|was|had|got|found|promised|closed|launched|built)\b"
)
"""The answer's first sentence opening a story from "I": "I inherited a pricing module…", "I
lost a renewal…" (only the first: later, "I" plus a verb is the action)."""

_OUTCOMES = (
    r"as a result|in the end|the result|the results|result was|resulted in|led to|"
    r"which meant|that meant|this meant|ended up|the outcome|at the end|in the long run|"
    r"since then|from then on|ever since|after that we|so now|now we|now i|"
    r"i learned(?! a lot| so much| many)|i learnt(?! a lot| so much)|"
    r"we learned(?! a lot| so much)|taught me|the lesson|"
    r"we shipped|we launched|we delivered|we won|we closed|we signed|it worked|went live|"
    r"on time|ahead of schedule|closed the deal|signed the contract|renewed|got promoted|"
    r"thanked me|was happy|were happy|was resolved|got resolved|never happened again|"
    r"(?:it|this|that) (?:saved|cut|reduced|increased|improved|doubled|halved|brought)|"
    r"(?:they|she|he|the client|the customer|the team) (?:signed|agreed|accepted|renewed|"
    r"bought|stayed|came back|said yes)|went with|to say thanks|"
    r"(?:it|this|that) (?:helped|worked|made a difference)|we made it|made it on time|"
    r"got it done|(?:it|this|that|things|everything) (?:was|were|got|became) (?:much |a lot |"
    r"far |a bit )?(?:better|faster|easier|simpler|cleaner|calmer|smoother)|"
    r"(?:dropped|fell|went|came|got) (?:down )?to (?:almost |nearly |practically )?"
    r"(?:none|nothing|zero)|"
    r"(?:he|she|they|the customer|the client) (?:was|were) (?:still |much |very )?"
    r"(?:angry|upset|happy|satisfied|calm|calmer|pleased|grateful)|"
    rf"(?:went|came|fell|dropped|got) (?:down |up )?to (?:zero|{_AMOUNT})|went (?:up|down)"
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
        rf"(?:last|in|on|one) {_MONTHS}|a few years back|recently)\b"
    ),
    "task": re.compile(
        r"\b(?:i was (?:responsible|in charge|tasked|asked|supposed|expected|given|"
        r"assigned|the owner|the lead)|my (?:job|task|role|goal|responsibility|assignment|"
        r"mission) (?:was|is)|(?:i|we) (?:needed|had|wanted) to|(?:the|our) (?:goal|task|"
        r"challenge|problem|issue|aim|objective|target) (?:was|is)|it was my job|"
        r"i owned|i had to make sure|we were asked|i was given|my responsibility|"
        r"had to be (?:done|finished|ready|shipped|delivered|live|fixed)|"
        r"(?:was|were) due (?:in|by|on)|the deadline was|i had (?:only )?(?:\w+ ){0,2}to)\b"
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
        rf"(?:{_CHANGE})\b|from (?:about |around |over |nearly |almost )?{_AMOUNT} "
        rf"(?:\w+ ){{0,3}}?(?:to|down to|up to) (?:about |around |under |over |just |only )?"
        rf"(?:{_AMOUNT}|one|zero|none)|"
        r"(?:doubled|tripled|halved|\d+x faster|\d+ times faster))"
    ),
}
_ZH_NUM = r"(?:\d[\d.]*|百分之|零|[一二三四五六七八九十两半几百千万]+)"
_ZH_CHANGE = (
    r"(?:降低|减少|缩短|下降|降到|降了|提高|提升|增加|增长|上升|翻了|节省|省了|省下|加快|"
    r"减到|涨了|少了|多了|快了)"
)
_ZH_VERBS = (
    r"(?:做了|写了|加了|改了|改成|修复|修了|设计|组织|搭建|开发|推动|提出|决定|开始|安排|联系|"
    r"分析|重构|上线|优化|沟通|找了|找到|找他|找她|调整|引入|建立|制定|整理|实现|测试|排查|带领|"
    r"协调|说服|解释|打电话|回电话|拆分|重写|迁移|部署|培训|申请|提供|建议|答应|承诺|道歉|说明|"
    r"开通|发了|查了|查看|退款|收集|回退|看了|花了|告诉|请他|请她|约了|约他|约她|问了|听了|"
    r"给了|复述|帮她|帮他|帮客户|让他说|让她说|把)"
)
ZH: dict[str, re.Pattern[str]] = {
    "situation": re.compile(
        r"当时|那时候|那时|的时候|之前在|以前在|在上一家|上一家公司|上家公司|上一份工作|有一次|"
        r"我(?:刚|曾经|以前)?(?:丢过|接手|加入|遇到过|做过|负责过)|"
        r"有一回|去年|前年|那年|情况是|背景是|我在.{1,10}(?:工作|实习|做)|"
        rf"{_ZH_NUM}年前|(?:19|20)\d\d年|"
        r"^(?:有一?(?:个|位|家|次|天|回)|(?:我们|公司|线上|团队)有|我们的|我们(?:组|团队|公司|部门)|"
        r"一家|一位|那天|那次)"
    ),
    "task": re.compile(
        r"我负责|由我负责|我的任务|任务是|目标是|我的目标|我们的目标|我需要|我们需要|我要|"
        r"我得|需要我|要求我|问题是|挑战是|我的工作是|我的职责"
    ),
    "action": re.compile(
        rf"(?:我|我们|^)(?:就|先|又|也|马上|立刻|主动|然后|首先|于是|一起|亲自|接着|第二天|当天)?"
        rf"{_ZH_VERBS}|于是|首先|接着|然后我|我的做法"
    ),
    "result": re.compile(
        rf"结果|最后|最终|终于|成功|学到(?!了很多|很多|不少)|学会|教训|收获|按时|上线了|签约|签了|"
        rf"拿下|后来.{{0,6}}?(?:决定|同意|签|成功|解决|上线|取消|感谢|续费|好多了|改善)|"
        rf"续约|续了约|续费|保住|几乎没有|没有了|降到零|为零|"
        rf"(?:他|她|客户|对方)(?:还是|最后|终于|也)很?(?:生气|满意|高兴|冷静|感谢)|"
        rf"{_ZH_CHANGE}.{{0,6}}?{_ZH_NUM}|{_ZH_NUM}[^。]{{0,4}}?{_ZH_CHANGE}|"
        rf"从{_ZH_NUM}.{{0,8}}?(?:到|降到|提到|减到|变成){_ZH_NUM}|翻倍|一倍"
    ),
}
ZH_HABITUAL = re.compile(
    r"一般都|一般会|总是|总能|通常|经常|平时|往往|大部分时候|大多数时候|每次都"
)
_ZH_HAPPENED = re.compile(r".了.")
"""Something that happened (了 inside a clause, not the closing particle of "就好了"): the
first sentence of a story opens on it."""
ZH_CLOSING_FIGURE = re.compile(rf"了.{{0,10}}?{_ZH_NUM}|{_ZH_NUM}.{{0,8}}?了")
"""A figure and a completed event (了) in the last two sentences of a story."""
_ZH_SENTENCES = re.compile(r"[\u3002\uff01\uff1f!?]+")
_EN_SENTENCES = re.compile(r"(?<=[.!?;:])\s+|\n+")
_ZH_CLAUSES = re.compile(r"[\uff0c\u3002\uff01\uff1f\uff1b\uff1a\u3001,.!?;:\s]+")


@dataclass(frozen=True)
class StoryParts:
    found: dict[str, str]
    """Each part heard and the words that showed it."""


def story_parts(text: str, family: str) -> StoryParts:
    """The parts of a story heard in ``text`` (``family``: ``en`` or ``zh``), sentence by
    sentence; a sentence about what one does in general (:data:`HABITUAL`) tells none."""
    found: dict[str, str] = {}
    if family == "zh":
        sentences = [s for s in _ZH_SENTENCES.split(text) if chinese(s)]
        for n, sentence in enumerate(sentences):
            closing = n >= len(sentences) - 2
            for clause in _ZH_CLAUSES.split(sentence):
                folded = chinese(clause)
                if not folded or ZH_HABITUAL.search(folded):
                    continue
                for part in PARTS:
                    if part in found:
                        continue
                    m = ZH[part].search(folded)
                    if m is None and part == "result" and closing:
                        m = ZH_CLOSING_FIGURE.search(folded)
                    if m is None and part == "situation" and n == 0:
                        m = _ZH_HAPPENED.search(folded)
                    if m is not None:
                        found[part] = folded[m.start() : m.end() + 6]
        return StoryParts({p: found[p] for p in PARTS if p in found})
    sentences = [s for s in _EN_SENTENCES.split(text) if s.strip()]
    last = len(sentences) - 1
    for n, sentence in enumerate(sentences):
        first = n == 0
        said = words(sentence)
        joined = " ".join(said)
        if not said:
            continue
        if HABITUAL.search(joined):
            if "result" not in found and (m := LESSON.search(joined)):
                found["result"] = " ".join(said[joined.count(" ", 0, m.start()) :][:8])
            continue
        for part in PARTS:
            if part in found:
                continue
            m = EN[part].search(joined)
            if m is None and part == "situation":
                m = NARRATIVE_OPENING.search(joined)
                if m is None and first:
                    m = FIRST_PERSON_OPENING.search(joined)
            if m is None and part == "result" and n >= last - 1:
                m = CLOSING_FIGURE.search(joined)
            if m is not None:
                start = joined.count(" ", 0, m.start())
                end = joined.count(" ", 0, m.end()) + 1
                found[part] = " ".join(said[start : max(end, start + QUOTE_WORDS)])
    return StoryParts({p: found[p] for p in PARTS if p in found})


def _point_words(point: KeyPoint) -> list[str]:
    if point.words:
        return list(point.words)
    return [w for w in words(point.point) if len(w) > 3 and w not in STOP_WORDS]


CHANGE_OVER_TIME = re.compile(r"\b(?:now|since then|ever since|these days|today)\b")
ZH_CHANGE_OVER_TIME = re.compile(r"现在|从那以后|之后|以后|从此")


def specific(text: str, family: str) -> str:
    """``text`` without its sentences about what one does in general (kept where they say what
    changed since: "Since then I always…")."""
    if family == "zh":
        clauses = _ZH_CLAUSES.split(text)
        return "\uff0c".join(
            c for c in clauses if not ZH_HABITUAL.search(c) or ZH_CHANGE_OVER_TIME.search(c)
        )
    kept = []
    for sentence in _EN_SENTENCES.split(text):
        joined = " ".join(words(sentence))
        if not HABITUAL.search(joined) or CHANGE_OVER_TIME.search(joined):
            kept.append(sentence)
    return " ".join(kept)


def touched(
    points: tuple[KeyPoint, ...],
    text: str,
    family: str,
    *,
    story: bool = False,
    parts: dict[str, str] | None = None,
) -> dict[str, str]:
    """The key points touched in ``text``, each with the word or phrase that showed it. In a
    story (``story``), a sentence about what one does in general is no evidence, and a point
    that is a part of the story is touched where that part was heard (``parts``)."""
    found: dict[str, str] = {}
    if story:
        text = specific(text, family)
    for point in points:
        if point.part is not None and parts and point.part in parts:
            found[point.point] = parts[point.part]
    if family == "zh":
        folded = chinese(text)
        for point in points:
            shown = [chinese(w) for w in point.words] or _pairs(chinese(point.point))
            hit = next((w for w in shown if w and w in folded), None)
            if hit is not None:
                found.setdefault(point.point, hit)
        return found
    said = stems(words(text))
    for point in points:
        if point.point in found:
            continue
        for phrase in _point_words(point):
            wanted = stems(words(phrase))
            if wanted and _said(said, wanted):
                found[point.point] = phrase
                break
    return found


def _said(said: list[str], wanted: list[str]) -> bool:
    """Whether the stems ``wanted`` are in ``said`` in order; a single long stem also matches
    the start of a longer word ("proud" in "proudest")."""
    if len(wanted) == 1 and len(wanted[0]) >= 5:
        return any(w.startswith(wanted[0]) for w in said)
    return find_phrase(said, wanted) is not None


def _pairs(core: str) -> list[str]:
    """Two-character pieces of a Chinese point written without words."""
    return [core[i : i + 2] for i in range(max(1, len(core) - 1))]
