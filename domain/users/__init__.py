"""Users and API tokens, as aggregates."""
