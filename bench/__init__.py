"""GhostHands benchmarks: every figure is a ratio against a baseline run in the same
invocation on the same machine (``bench/run``, results in ``bench/RESULTS.md``)."""
