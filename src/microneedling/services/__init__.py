"""Clinic workflows: wire the protocol rules to the records, one function per user action.

Each function takes an open SQLAlchemy session (the caller's transaction) and returns plain,
JSON-ready dictionaries, so the CLI and the web API show the same thing.
"""
