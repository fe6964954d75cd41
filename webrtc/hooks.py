"""How a session tells the rest of the server what happens to it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from analyzers.session.report import Report
from webrtc.lifecycle import SessionSnapshot
from webrtc.protocol import ServerMessage


@dataclass
class SessionHooks:
    """How a session tells the rest of the server what happens to it, with a snapshot of
    itself. All are called on the event loop and must not block."""

    on_state: Callable[[SessionSnapshot], None] = lambda session: None
    on_message: Callable[[SessionSnapshot, ServerMessage, str], None] | None = None
    on_analysis: Callable[[str, float], None] = lambda kind, seconds: None
    """How long one analysis took (``video`` frame, ``audio`` batch), for metrics."""
    on_report: Callable[[SessionSnapshot, Report], None] = lambda session, report: None
    """The report is built: called before ``session.report`` is sent, so it can be read at once."""
    on_closed: Callable[[SessionSnapshot, Report | None], None] = lambda session, report: None
    on_checkpoint: Callable[[SessionSnapshot, Report], None] | None = None
    """The report so far, every ``checkpoint_interval`` seconds: what the store keeps in case
    the worker dies (its ``end_reason`` is ``worker_lost``, the one it would then carry)."""
    report_url: Callable[[str], str] = field(default=lambda sid: f"/api/sessions/{sid}/report")
