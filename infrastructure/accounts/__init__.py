"""Accounts: password hashing, UI sessions and sign-in failures kept in the database."""
