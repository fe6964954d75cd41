"""Pure analysis code: numpy arrays and media time in, frozen typed results out.

Nothing in this package knows about asyncio, aiortc, PyAV or aiohttp. Video analyzers take an
``HxWx3 uint8`` RGB array; audio analyzers take mono ``float32`` samples at 16 kHz. The stream
core (:mod:`analyzers.stream`) runs them on a stream for every path, and the report
(:mod:`analyzers.report`) is built from what it keeps.
"""

AUDIO_RATE = 16_000

SUMMARY_WINDOW = 30.0
"""Seconds of media a rolling summary covers, for video and audio alike."""
