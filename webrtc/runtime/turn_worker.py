"""The end-of-turn model for every interview of the process, on a thread of its own.

One judgement costs about a tenth of a second of CPU here (``docs/interview.md``): run on the
shared analysis threads it would hold up other sessions' frames. Here it runs on one thread,
at most ``max_pending`` judgements waiting; one more is dropped and counted, and its answer
then ends on the silence rule instead (never late, never lost).
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

from analyzers.voice.turn import TurnModel, TurnPrediction, TurnQuestion, judge


class TurnWorker:
    def __init__(self, model: TurnModel, threshold: float, max_pending: int = 4) -> None:
        self._model = model
        self._threshold = threshold
        self._max_pending = max_pending
        self._pending = 0
        self._executor = ThreadPoolExecutor(1, thread_name_prefix="lens-turn")
        self.judged = 0
        self.dropped = 0
        self.cpu_seconds = 0.0

    async def judge(self, question: TurnQuestion) -> TurnPrediction | None:
        """The model's judgement, or ``None`` when too many wait."""
        if self._pending >= self._max_pending:
            self.dropped += 1
            return None
        self._pending += 1
        try:
            loop = asyncio.get_running_loop()
            found = await loop.run_in_executor(
                self._executor, judge, self._model, question, self._threshold
            )
        finally:
            self._pending -= 1
        self.judged += 1
        self.cpu_seconds += found.elapsed_ms / 1000.0
        return found

    def shutdown(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)
