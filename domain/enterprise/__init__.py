"""Enterprises that file online (网上办): their legal representative and the agents it authorises."""
