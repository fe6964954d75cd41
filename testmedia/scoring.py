"""Counting hits against a truth: what a detector found, what was there, and how many of the
found were right."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Counted:
    right: int
    """Found and there."""
    found: int
    said: int
    """There (in the truth)."""

    @property
    def precision(self) -> float:
        return self.right / self.found if self.found else 1.0

    @property
    def recall(self) -> float:
        return self.right / self.said if self.said else 1.0
