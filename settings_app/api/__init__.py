"""The read API: services fetch settings over HTTPS with scoped, hashed, expiring tokens."""
