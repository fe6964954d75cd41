"""Several utterances decoded in one CTranslate2 batch, each exactly as it would be alone.

Every utterance runs faster-whisper's own ``transcribe`` in its own thread, with the same
options as a call on its own. The model underneath is :class:`BatchingWhisper`: its four heavy
operations (``encode``, ``detect_language``, ``generate``, ``align``) are not run at once but
handed to a :class:`Rendezvous`, which runs the calls of the same kind (and the same options)
that several threads are waiting on as one batch, and gives each thread its own rows of the
result. Nothing is concatenated in time: every utterance is its own item of the batch, padded
to Whisper's 30 s window as it would be alone, with its own prompt.

A batch runs when every utterance in progress is waiting on the model (so a lone one waits for
nothing), or when the first call in it has waited ``max_wait`` seconds. The batch taken first is
the one holding the most urgent call (lowest ``priority``: finals before partials, an interview
waiting for its feedback first), then the oldest. One batch runs at a time: CTranslate2 already
uses every thread it was given for one.

Sampling (the temperature fallback after a failed decoding) is never batched: it runs alone,
the random seed reset before an utterance's first sampling, as a call on its own does, so the
same audio always gives the same words (unless two utterances fall back at the same moment:
their samplings then share the generator's sequence).
"""

from __future__ import annotations

import contextlib
import itertools
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

Batch = Callable[[list[Any]], list[Any]]
"""Runs several calls' arguments as one batch; one result per call, in order."""

_priority = threading.local()


@contextlib.contextmanager
def priority(value: int) -> Iterator[None]:
    """How urgent the recognition this thread runs is: 0 a final an interview waits on, 1
    another final, 2 a partial. Batches (and a remote recogniser's queue) take it into account."""
    before = getattr(_priority, "value", 1)
    _priority.value = value
    try:
        yield
    finally:
        _priority.value = before


def current_priority() -> int:
    return int(getattr(_priority, "value", 1))


@dataclass
class _Call:
    kind: str
    key: Any
    args: Any
    run: Batch
    """Runs any batch of this call's kind and key (its calls share every option)."""
    priority: int
    arrived: float
    order: int
    done: threading.Event = field(default_factory=threading.Event)
    result: Any = None
    error: BaseException | None = None


@dataclass
class BatchStats:
    """Counts since the start, for ``/metrics``."""

    batches: int = 0
    calls: int = 0
    largest: int = 0
    sizes: dict[int, int] = field(default_factory=dict)
    """Batches by size."""


class Rendezvous:
    """Calls of one kind from several threads, run as one batch (see the module docstring)."""

    def __init__(self, *, max_wait: float = 0.05, max_batch: int = 8) -> None:
        self.max_wait = max_wait
        self.max_batch = max_batch
        self._lock = threading.Condition()
        self._waiting: list[_Call] = []
        self._active = 0
        self._running = False
        self._order = itertools.count()
        self.stats = BatchStats()

    @contextlib.contextmanager
    def taking_part(self) -> Iterator[None]:
        """The calling thread decodes an utterance for a while: the rendezvous waits for its
        calls before it runs a batch early."""
        with self._lock:
            self._active += 1
        try:
            yield
        finally:
            with self._lock:
                self._active -= 1
                self._lock.notify_all()

    @property
    def active(self) -> int:
        """Threads decoding an utterance now."""
        return self._active

    @property
    def waiting(self) -> int:
        """Calls waiting for their batch."""
        return len(self._waiting)

    @property
    def running(self) -> bool:
        return self._running

    def call(self, kind: str, key: Any, args: Any, run: Batch, *, alone: bool = False) -> Any:
        """``run([args])`` for this thread, batched with the other threads' calls of the same
        ``kind`` and ``key`` (or run alone, ``alone``: still one model call at a time).
        ``run`` must serve any batch of that kind and key."""
        urgency = current_priority()
        order = next(self._order)
        if alone:
            key = ("alone", order)  # a group of its own
        call = _Call(kind, key, args, run, urgency, time.monotonic(), order)
        with self._lock:
            self._waiting.append(call)
            self._lock.notify_all()
            while not call.done.is_set():
                batch = self._ready()
                if batch is None:
                    self._lock.wait(self._wake_in())
                    continue
                self._running = True
                self._lock.release()
                try:
                    self._run(batch)  # whichever thread is free runs the batch due
                finally:
                    self._lock.acquire()
                    self._running = False
                    self._lock.notify_all()
        if call.error is not None:
            raise call.error
        return call.result

    def _wake_in(self) -> float | None:
        if not self._waiting:
            return None
        oldest = min(c.arrived for c in self._waiting)
        return max(0.001, oldest + self.max_wait - time.monotonic())

    def _ready(self) -> list[_Call] | None:
        """The batch to run now (taken off the waiting list), or ``None``: one is running, or
        others may still join. Called with the lock held."""
        if self._running or not self._waiting:
            return None
        everyone_here = len(self._waiting) >= self._active
        first = min(self._waiting, key=lambda c: (c.priority, c.order))
        waited = time.monotonic() - min(c.arrived for c in self._waiting)
        group = [c for c in self._waiting if (c.kind, c.key) == (first.kind, first.key)]
        if not (everyone_here or waited >= self.max_wait or len(group) >= self.max_batch):
            return None
        group.sort(key=lambda c: (c.priority, c.order))
        batch = group[: self.max_batch]
        for taken in batch:
            self._waiting.remove(taken)
        return batch

    def _run(self, batch: list[_Call]) -> None:
        try:
            results = batch[0].run([c.args for c in batch])
        except BaseException as exc:  # every caller of the batch gets the failure
            for c in batch:
                c.error = exc
                c.done.set()
            return
        self.stats.batches += 1
        self.stats.calls += len(batch)
        self.stats.largest = max(self.stats.largest, len(batch))
        self.stats.sizes[len(batch)] = self.stats.sizes.get(len(batch), 0) + 1
        for c, result in zip(batch, results, strict=True):
            c.result = result
            c.done.set()


def _rows(view: Any) -> np.ndarray:
    return np.asarray(view)


class BatchingWhisper:
    """Stands in for faster-whisper's ``ctranslate2.models.Whisper``: the same methods, each
    call batched with other threads' through ``rendezvous`` (``None``: run at once), and the
    encoder given only the first :meth:`fit` frames of Whisper's 30 s window."""

    def __init__(
        self, model: Any, rendezvous: Rendezvous | None, seed: Callable[[int], None]
    ) -> None:
        import ctranslate2

        self._model = model
        self._rendezvous = rendezvous
        self._seed = seed
        self._storage = ctranslate2.StorageView.from_array
        self._local = threading.local()

    def begin(self, frames: int | None = None) -> None:
        """The calling thread starts an utterance: its first sampling is seeded afresh, as a
        call on its own is (later ones go on from there), and its encoder window is ``frames``
        feature frames (``None``: all 3000, 30 s)."""
        self._local.seeded = False
        self._local.frames = frames

    def _call(self, kind: str, key: Any, args: Any, run: Batch, *, alone: bool = False) -> Any:
        if self._rendezvous is None:
            return run([args])[0]
        return self._rendezvous.call(kind, key, args, run, alone=alone)

    def __getattr__(self, name: str) -> Any:  # is_multilingual, device, n_mels…
        return getattr(self._model, name)

    def _view(self, array: np.ndarray) -> Any:
        return self._storage(np.ascontiguousarray(array))

    def _stacked(self, arrays: Sequence[np.ndarray]) -> Any:
        return self._view(np.concatenate(arrays))

    def encode(self, features: Any, to_cpu: bool = False) -> Any:
        rows = _rows(features)
        frames = getattr(self._local, "frames", None)
        if frames is not None and frames < rows.shape[-1]:
            rows = rows[..., :frames]  # the rest is padding: the encoder's cost is its length

        def run(calls: list[np.ndarray]) -> list[np.ndarray]:
            encoded = _rows(self._model.encode(self._stacked(calls), to_cpu))
            return _split(encoded, [len(c) for c in calls])

        encoded = self._call("encode", rows.shape[1:], rows, run)
        return self._view(encoded)

    def detect_language(self, features: Any) -> Any:
        rows = _rows(features)

        def run(calls: list[np.ndarray]) -> list[list[Any]]:
            found = self._model.detect_language(self._stacked(calls))
            return _split_list(found, [len(c) for c in calls])

        return self._call("detect_language", rows.shape[1:], rows, run)

    def generate(self, features: Any, prompts: list[list[int]], **options: Any) -> Any:
        rows = _rows(features)
        sampling = float(options.get("sampling_temperature", 0.0) or 0.0) > 0.0
        own_length = int(options.pop("max_length"))
        # Calls of different lengths share a batch at the longest one's limit; a call whose
        # words reach its own limit is decoded again alone, as it would have been.
        # CTranslate2 needs the start token at one position in every item: same-length prompts.
        key = (
            rows.shape[1:],
            tuple(len(p) for p in prompts),
            tuple(sorted((k, _hashable(v)) for k, v in options.items())),
        )

        seed = sampling and not getattr(self._local, "seeded", False)
        if sampling:
            self._local.seeded = True

        def run(calls: list[tuple[np.ndarray, list[list[int]], int]]) -> list[list[Any]]:
            if seed:
                self._seed(0)
            stacked = self._stacked([r for r, _, _ in calls])
            everyone = [p for _, ps, _ in calls for p in ps]
            longest = max(length for _, _, length in calls)
            results = self._model.generate(stacked, everyone, max_length=longest, **options)
            return _split_list(results, [len(ps) for _, ps, _ in calls])

        results = self._call("generate", key, (rows, prompts, own_length), run, alone=sampling)
        if any(
            len(result.sequences_ids[0]) + len(prompt) >= own_length
            for result, prompt in zip(results, prompts, strict=True)
        ):
            results = self._call("generate", key, (rows, prompts, own_length), run, alone=True)
        return results

    def align(
        self,
        features: Any,
        start_sequence: list[int],
        text_tokens: list[list[int]],
        num_frames: int | list[int],
        *,
        median_filter_width: int = 7,
    ) -> Any:
        rows = _rows(features)
        frames = list(num_frames) if isinstance(num_frames, list) else [num_frames] * len(rows)
        key = (rows.shape[1:], tuple(start_sequence), median_filter_width)

        def run(calls: list[tuple[np.ndarray, list[list[int]], list[int]]]) -> list[list[Any]]:
            results = self._model.align(
                self._stacked([r for r, _, _ in calls]),
                start_sequence,
                [t for _, tokens, _ in calls for t in tokens],
                [n for _, _, counts in calls for n in counts],
                median_filter_width=median_filter_width,
            )
            return _split_list(results, [len(tokens) for _, tokens, _ in calls])

        return self._call("align", key, (rows, text_tokens, frames), run)


def _split(rows: np.ndarray, sizes: Sequence[int]) -> list[np.ndarray]:
    bounds = np.cumsum([0, *sizes])
    return [rows[a:b] for a, b in itertools.pairwise(bounds)]


def _split_list(items: Sequence[Any], sizes: Sequence[int]) -> list[list[Any]]:
    bounds = np.cumsum([0, *sizes])
    return [list(items[a:b]) for a, b in itertools.pairwise(bounds)]


def _hashable(value: Any) -> Any:
    if isinstance(value, list):
        return tuple(_hashable(v) for v in value)
    return value
