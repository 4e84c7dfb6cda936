"""The importers' errors: one base, and a subclass per thing a user has to fix."""

from __future__ import annotations


class ImporterError(Exception):
    """Base class of every error an importer raises before it writes anything."""


class SourceError(ImporterError):
    """The source (database, export file, .env file) cannot be read as asked; says why."""


class RailsKeysError(ImporterError):
    """The Rails key set is missing, malformed or kept in a file others can read."""


class RailsDecryptionError(Exception):
    """An Active Record Encryption value could not be decrypted.

    Every way a value can be bad ends here; the message says which (malformed, no key with its
    id, authentication failed...) and never holds plaintext or key material.
    """
