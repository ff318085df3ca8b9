"""Applicants online (网上办): enterprises' accounts — the representative and the agents it authorises."""
