"""Log lines a log pipeline can use: UTC timestamps, levels, request ids and, on request, JSON."""
