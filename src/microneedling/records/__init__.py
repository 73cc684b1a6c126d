"""Persistent records: SQLAlchemy models, Alembic migrations, transactions and the audit log."""
