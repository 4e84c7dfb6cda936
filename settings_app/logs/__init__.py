"""What leaves the process as text: log lines a pipeline can use (UTC timestamps, levels,
request ids, JSON on request), error reports, and the one redaction every such text goes
through."""
