"""Benchmarks, run by hand or by `make bench` (not in the test suite): see bench/reports.py."""
