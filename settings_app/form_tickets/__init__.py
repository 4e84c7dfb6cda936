"""One-time form tickets: a value a form carries that one POST may spend, exactly once, in the
database, whatever the number of workers or concurrent requests."""
