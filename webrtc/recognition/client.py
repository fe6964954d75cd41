"""A recogniser that sends each utterance to an OpenAI-compatible ``/v1/audio/transcriptions``
endpoint (``LENS_ASR_URL``): the machine's own recogniser process, or a GPU server of vLLM,
speaches or others.

It is called on the transcription pool's threads, so it blocks, within ``timeout``. An answer
that does not come in time, or comes wrong, costs nothing but time: that utterance is
recognised by the local model instead (loaded when first needed), and the failure is counted
and logged (once a minute at most). After a failure the endpoint is left alone for
:data:`RETRY_AFTER` seconds (the local model answers at once), so a recogniser that hangs costs
one timeout every half minute, not one per utterance.
"""

from __future__ import annotations

import http.client
import logging
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable

import numpy as np

from analyzers.words.batching import current_priority
from analyzers.words.recognition import Recognition, SpeechRecognizer
from webrtc.recognition.wire import PATH, PRIORITY_HEADER, WireError, form, recognition_of

log = logging.getLogger(__name__)

RETRY_AFTER = 30.0
MAX_ANSWER_BYTES = 1 << 20
"""The most of an answer read: a 30 s utterance's words are a few KB."""
LOG_EVERY = 60.0


class RemoteRecognizer:
    multilingual = True

    def __init__(
        self,
        url: str,
        model: str,
        *,
        timeout: float,
        fallback: Callable[[], SpeechRecognizer],
        api_key: str | None = None,
    ) -> None:
        self.endpoint = url.rstrip("/").removesuffix("/v1") + PATH
        self.model = model
        self.name = f"{model} at {url}"
        self.timeout = timeout
        self._fallback = fallback
        self._api_key = api_key
        self._lock = threading.Lock()
        self._logged_at = -LOG_EVERY
        self._resting_until = -RETRY_AFTER
        self.calls = 0
        self.failures = 0
        """Calls answered by the local model instead."""

    def recognize(self, samples: np.ndarray, language: str | None) -> Recognition:
        self.calls += 1
        if time.monotonic() >= self._resting_until:
            try:
                return self._ask(samples, language)
            except (OSError, http.client.HTTPException, WireError) as exc:
                self._failed(exc)
        else:
            self.failures += 1  # not asked: it failed a moment ago
        return self._fallback().recognize(samples, language)

    def _ask(self, samples: np.ndarray, language: str | None) -> Recognition:
        body, content_type = form(samples, language, self.model)
        headers = {"Content-Type": content_type, PRIORITY_HEADER: str(current_priority())}
        if self._api_key:
            headers["Authorization"] = f"Bearer {self._api_key}"
        request = urllib.request.Request(self.endpoint, body, headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                answer = response.read(MAX_ANSWER_BYTES + 1)
        except urllib.error.HTTPError as exc:
            raise WireError(f"{exc.code} {exc.reason}") from None
        if len(answer) > MAX_ANSWER_BYTES:
            raise WireError(f"the answer is over {MAX_ANSWER_BYTES} bytes")
        return recognition_of(answer, language)

    def _failed(self, exc: BaseException) -> None:
        with self._lock:
            self.failures += 1
            now = time.monotonic()
            self._resting_until = now + RETRY_AFTER
            if now - self._logged_at < LOG_EVERY:
                return
            self._logged_at = now
        log.warning(
            "speech recognition at %s failed (%s: %s); the local model answers instead "
            "(%d of %d calls so far)",
            self.endpoint,
            type(exc).__name__,
            str(exc)[:200],
            self.failures,
            self.calls,
        )
