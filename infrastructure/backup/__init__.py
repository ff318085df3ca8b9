"""Backups and restores of the whole database (SQLite or PostgreSQL)."""
