"""Capacity tooling: benchmarks of the analyzers and, later, the load-test client."""
