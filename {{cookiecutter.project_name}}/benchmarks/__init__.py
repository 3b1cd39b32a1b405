"""The pipeline's own benchmarks: `make bench` writes one JSON file (schema.json describes it).

P1 the whole local pipeline, P2 the tuning harness, P3 batch inference, P4 incremental features,
P5 the test suite (and, from the template, generation). Each figure is the median of several runs.
"""
