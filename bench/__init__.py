"""In-process benchmarks: the floor (decoding and the stream core, no network), the naive
baseline server, the analyzers', audio chain's, blink and speech-event benchmarks, and the shares
of a py-spy profile. Each is ``python -m bench.NAME``; what they measured is in
``docs/benchmarks.md`` with the command that made it. The black-box load client and the capacity
study that drives servers from outside are in ``loadtest/``."""
