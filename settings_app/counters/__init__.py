"""Counters written on every API read: transactions that need not wait for the disk, and Redis
increments in one round trip."""
