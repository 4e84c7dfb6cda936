"""Reveal: one setting's plaintext shown once, after the password is typed again, through a
one-time form token, with an audit event either way."""
