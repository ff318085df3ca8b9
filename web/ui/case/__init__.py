"""The case page and the actions offered on its items."""
