"""Helpers the tests share: keys, users, servers, processes and rows they set up."""
