"""Which frames of a stream to analyse: a grid of slots every ``1/fps`` seconds of media time."""

from __future__ import annotations


class SamplingGrid:
    """A frame a little early for its slot still takes it (cameras jitter); a frame late for
    its slot moves the grid to itself, so a stall is not followed by a burst."""

    def __init__(self, fps: float) -> None:
        self.next = 0.0
        self.set_fps(fps)

    def set_fps(self, fps: float) -> None:
        """Change the rate from the next slot on."""
        if fps <= 0:
            raise ValueError(f"fps must be positive, got {fps}")
        self.fps = fps
        self.interval = 1.0 / fps
        self.tolerance = min(0.02, self.interval / 4)

    def due(self, t: float) -> bool:
        return t >= self.next - self.tolerance

    def advance(self, t: float) -> None:
        self.next += self.interval
        if self.next <= t:
            self.next = t + self.interval


class VideoSampler:
    """Decides, per frame, ``"full"`` (all analyzers), ``"eyes"`` (the cheap blink pass) or
    ``None`` (skip)."""

    def __init__(self, video_fps: float, blink_fps: float = 0.0) -> None:
        self._full = SamplingGrid(video_fps)
        self._eyes = SamplingGrid(blink_fps) if blink_fps > video_fps else None

    def set_full_fps(self, fps: float) -> None:
        """The full-analysis rate, when load changes it; the eye probe keeps its own."""
        if fps != self._full.fps:
            self._full.set_fps(fps)

    def decide(self, t: float) -> str | None:
        if self._full.due(t):
            self._full.advance(t)
            if self._eyes is not None:
                self._eyes.advance(t)
            return "full"
        if self._eyes is not None and self._eyes.due(t):
            self._eyes.advance(t)
            return "eyes"
        return None
