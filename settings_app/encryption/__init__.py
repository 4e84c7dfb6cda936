"""Encryption as the app uses it: fields and lookups, unreadable values, keys from settings,
key files, advice on key errors and the record of decryption failures."""
