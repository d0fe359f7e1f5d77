"""Benchmarks of the kernel. ``python -m bench.eventstore`` measures the event store (see bench/README.md)."""
