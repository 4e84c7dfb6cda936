"""Structured credentials: provider settings made of several fields, stored and served whole."""
