"""Benchmarks: dataset generators and timing scripts (`make bench`). Not part of the test suite."""
