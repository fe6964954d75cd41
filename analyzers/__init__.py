"""Pure analysis code: numpy arrays and media time in, frozen typed results out.

Nothing in this package knows about asyncio, aiortc, PyAV or aiohttp. Video analyzers take an
``HxWx3 uint8`` RGB array; audio analyzers take mono ``float32`` samples at 16 kHz.
"""

AUDIO_RATE = 16_000
