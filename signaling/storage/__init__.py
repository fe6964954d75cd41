"""Where sessions, reports and live results are kept: SQLite in a data directory by default,
Redis when ``LENS_REDIS_URL`` is set. Both implement :class:`~signaling.storage.base.Store`."""

from __future__ import annotations

from signaling.settings import Settings
from signaling.storage.base import ReadOnlyDataDir, SessionRecord, Store, StoreUnavailable

__all__ = ["ReadOnlyDataDir", "SessionRecord", "Store", "StoreUnavailable", "open_store"]


def open_store(settings: Settings) -> Store:
    if settings.redis_url:
        from signaling.storage.redis_store import RedisStore

        return RedisStore(
            settings.redis_url,
            prefix=settings.redis_prefix,
            record_ttl=settings.session_record_ttl,
            stream_maxlen=settings.results_stream_maxlen,
            buffer_size=settings.redis_buffer_size,
            spool=settings.data_dir / "spool",
        )
    from signaling.storage.sqlite_store import SqliteStore

    return SqliteStore(settings.data_dir / "lens.sqlite3", spool=settings.data_dir / "spool")
