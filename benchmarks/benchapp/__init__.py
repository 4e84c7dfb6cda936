"""Models that exist only for the benchmarks: one table per contender."""

from __future__ import annotations
