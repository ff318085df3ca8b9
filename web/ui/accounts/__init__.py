"""Accounts in the UI: an enterprise registering online, its representative's agents, two-step sign-in."""
