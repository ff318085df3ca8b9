"""Adapters: persistence (eventsourcing-sqlalchemy on SQLite or PostgreSQL), calendars, passwords."""
