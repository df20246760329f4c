"""Benchmarks: jobstate beside the reference design's algorithms, measured in one run."""
