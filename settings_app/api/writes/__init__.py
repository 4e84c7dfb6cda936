"""The write API: tokens with a write scope create, replace, roll back, delete and verify."""
