"""Where session recordings live (``LENS_DATA_DIR/recordings/{id}.webm``), who gets one, and
their erasure: with the session, and after ``LENS_RECORDING_RETENTION_DAYS``."""

from __future__ import annotations

import logging
import time
from pathlib import Path

from signaling.settings import Settings
from signaling.storage import SessionRecord

log = logging.getLogger(__name__)

SWEEP_EVERY = 3600.0


class Recordings:
    def __init__(self, settings: Settings) -> None:
        self.folder = settings.recordings_dir
        self.allowed = settings.recording == "allowed"
        self.retention = settings.recording_retention_days * 86_400
        self._swept = 0.0

    def path(self, session_id: str) -> Path:
        return self.folder / f"{session_id}.webm"

    def for_session(self, record: SessionRecord, allowed: tuple[str, ...] | None) -> Path | None:
        """Where the session is recorded: only when the platform asked (``record``), the server
        allows it, and the session's token carries it (``allowed``: the token's analyzers,
        ``None`` without auth)."""
        if not (record.record and self.allowed) or (
            allowed is not None and "record" not in allowed
        ):
            return None
        return self.path(record.id)

    def delete(self, session_id: str) -> bool:
        """Erase the session's recording; whether there was one."""
        try:
            self.path(session_id).unlink()
        except FileNotFoundError:
            return False
        return True

    def sweep(self, now: float | None = None, *, force: bool = False) -> int:
        """Erase recordings older than the retention, at most once per :data:`SWEEP_EVERY`
        seconds (``force``: now); how many were erased."""
        now = time.time() if now is None else now
        if not force and now - self._swept < SWEEP_EVERY:
            return 0
        self._swept = now
        erased = 0
        for path in self.folder.glob("*.webm") if self.folder.is_dir() else ():
            try:
                if now - path.stat().st_mtime > self.retention:
                    path.unlink()
                    erased += 1
            except FileNotFoundError:
                continue
        if erased:
            log.info("erased %d recording(s) past their retention", erased)
        return erased
