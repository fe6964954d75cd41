"""Where a running server's time goes: shares of a py-spy profile, by thread and by part.

    py-spy record -p SERVER_PID -r 50 -f raw --threads -o profile.txt -d 30
    python -m bench.profile_shares profile.txt

Reads py-spy's raw (collapsed) stacks, leaves out samples of threads that were only waiting (a
condition, an empty pool, ``epoll``), and prints each part's share of the rest as a Markdown
table: the event loop split into aiortc's receive path, SRTP, ICE/SCTP, Lens's own code and
asyncio itself; the analysis threads into audio, MediaPipe, the expression model and the rest
of the video analysis; aiortc's decoder threads.
"""

from __future__ import annotations

import argparse
import re
from collections import Counter
from pathlib import Path

IDLE_LEAVES = (
    "Condition.wait",
    "_worker (concurrent/futures/thread.py",
    "EpollSelector.select",
    "select (selectors.py",
)
THREAD = re.compile(r"thread \(\w+\): (.*)")
RECEIVE_PATH = ("rtcdtlstransport", "rtcrtpreceiver", "jitterbuffer", "rtp.py")
AUDIO_CHAIN = ("analyzers/voice", "AudioStream.", "AudioPipeline.")


def part(thread: str, stack: str) -> str:
    """The part of the server one sampled stack belongs to."""
    if thread == "MainThread":
        if "unprotect" in stack or "srtp" in stack.lower():
            return "event loop: SRTP"
        if any(key in stack for key in RECEIVE_PATH):
            return "event loop: aiortc's DTLS/RTP receive path"
        if "rtcsctptransport" in stack or "aioice" in stack:
            return "event loop: ICE, SCTP, data channel"
        if "webrtc/" in stack or "signaling/" in stack:
            return "event loop: Lens's own code"
        return "event loop: asyncio itself"
    if thread.startswith("lens-analysis"):
        if any(key in stack for key in AUDIO_CHAIN):
            return "analysis: audio chain"
        if "ai_edge_litert" in stack or "expression" in stack:
            return "analysis: expression model"
        if "mediapipe" in stack:
            return "analysis: MediaPipe face graphs"
        return "analysis: other video (crops, pose, gaze, blinks)"
    if thread in ("video-decoder", "audio-decoder"):
        return f"aiortc's decoder threads: {thread}"
    return "other threads"


def shares(lines: list[str]) -> dict[str, float]:
    """Each part's share (0..1) of the non-idle samples in py-spy raw ``lines``."""
    counts: Counter[str] = Counter()
    for line in lines:
        stack, _, count = line.rstrip("\n").rpartition(" ")
        if not stack:
            continue
        frames = stack.split(";")
        if frames[-1].startswith(IDLE_LEAVES):
            continue
        match = THREAD.match(frames[0])
        counts[part(match.group(1) if match else frames[0], stack)] += int(count)
    total = sum(counts.values())
    return {name: n / total for name, n in counts.most_common()} if total else {}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("profile", type=Path, help="py-spy record -f raw --threads output")
    args = parser.parse_args()
    print("| where | share of busy samples |\n|---|---|")
    for name, share in shares(args.profile.read_text().splitlines()).items():
        print(f"| {name} | {share:.0%} |")


if __name__ == "__main__":
    main()
