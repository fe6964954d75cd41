"""Pure analysis code: numpy arrays and media time in, frozen typed results out.

Nothing in this package knows about asyncio, aiortc, PyAV, aiohttp or the network. Grouped by
what they look at:

- :mod:`analyzers.video`: a face and a body in ``HxWx3 uint8`` RGB frames (presence, landmarks,
  head pose, gaze, blinks, expression, framing, posture) and their summary;
- :mod:`analyzers.voice`: mono ``float32`` audio at 16 kHz (voice activity, speech events,
  loudness, pitch, pace) and its summary;
- :mod:`analyzers.words`: what was said (speech recognition behind one interface, the
  utterances it is given, fillers and hedges);
- :mod:`analyzers.session`: a whole session (the stream core that runs the others on a stream
  for every path, timelines, the report, the coach, progress across sessions).

Model files come in as paths: fetching them is :mod:`modelfiles`'s.
"""

AUDIO_RATE = 16_000

SUMMARY_WINDOW = 30.0
"""Seconds of media a rolling summary covers, for video and audio alike."""


class ModelUnavailable(RuntimeError):
    """A model file could not be found, fetched, verified or loaded."""
