"""Users: accounts, passwords, sign-in limits, API tokens."""
