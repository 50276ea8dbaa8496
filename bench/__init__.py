"""Benchmarks and load tools for IdeaBoard (see docs/performance.md)."""
