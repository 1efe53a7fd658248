"""Benchmarks, run as modules: ``python -m bench.tenancy`` (``make bench``)."""
