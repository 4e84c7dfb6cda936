"""The admin's change forms: the Setting form, and the one hook by which an admin adds context
to its change-form page."""
