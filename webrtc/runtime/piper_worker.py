"""The Piper voice's own process: ``python -m webrtc.runtime.piper_worker MODEL CONFIG``.

It loads the voice once, writes its sample rate as one line, then for each line of JSON on its
standard input (``{"text": ...}``) writes a 4-byte big-endian length and that many bytes of
16-bit mono PCM. Synthesis (ONNX Runtime) thus never runs on the server's event loop or its
analysis threads, and a crash costs only this process (:class:`PiperVoice` starts another).
"""

from __future__ import annotations

import json
import os
import struct
import sys
from pathlib import Path


def main() -> None:
    import onnxruntime
    from piper import PiperVoice, SynthesisConfig
    from piper.config import PiperConfig

    model, config = Path(sys.argv[1]), Path(sys.argv[2])
    # One thread, a little below the server's priority: the voice must not take the cores the
    # live analysis runs on.
    os.nice(5)
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = options.inter_op_num_threads = 1
    session = onnxruntime.InferenceSession(
        str(model), sess_options=options, providers=["CPUExecutionProvider"]
    )
    voice = PiperVoice(session, PiperConfig.from_dict(json.loads(config.read_text())))
    out = sys.stdout.buffer
    out.write(f"{voice.config.sample_rate}\n".encode())
    out.flush()
    settings = SynthesisConfig(length_scale=1.0)
    for line in sys.stdin.buffer:
        text = str(json.loads(line)["text"])[:1000]
        pcm = b"".join(chunk.audio_int16_bytes for chunk in voice.synthesize(text, settings))
        out.write(struct.pack(">I", len(pcm)) + pcm)
        out.flush()


if __name__ == "__main__":
    main()
