"""The report page's "compared with your last sessions" section."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from typing import Any


def _figure(value: float, unit: str) -> str:
    if unit == "share":
        return f"{value * 100:.0f} %"
    return f"{value:.1f} {unit}" if abs(value) < 10 else f"{value:.0f} {unit}"


def _change(row: dict[str, Any]) -> str:
    change, unit = row["change"], row["unit"]
    sign = "+" if change > 0 else "-" if change < 0 else "±"
    amount = f"{abs(change) * 100:.0f} points" if unit == "share" else _figure(abs(change), unit)
    verdict = {True: " (better)", False: " (worse)", None: ""}[row["improved"]]
    return f"{sign}{amount}{verdict}"


def compared_section(rows: Sequence[dict[str, Any]]) -> str:
    """Each headline figure of this session beside the mean of the person's earlier sessions
    (``analyzers.session.progress.compare``); nothing for a first session or one without a
    subject."""
    if not rows:
        return ""
    body = "".join(
        f'<tr data-figure="{escape(row["name"])}"><th>{escape(row["label"])}</th>'
        f"<td>{escape(_figure(row['value'], row['unit']))}</td>"
        f"<td>{escape(_figure(row['earlier'], row['unit']))}</td>"
        f'<td class="change" data-improved="{str(row["improved"]).lower()}">'
        f"{escape(_change(row))}</td></tr>"
        for row in rows
    )
    sessions = max(row["sessions"] for row in rows)
    return (
        '<section aria-label="Compared with your last sessions">'
        "<h2>Compared with your last sessions</h2>"
        f'<p class="note">Your last {sessions} session(s), on average.</p>'
        "<table><tr><th></th><th>This session</th><th>Before</th><th>Change</th></tr>"
        f"{body}</table></section>"
    )
