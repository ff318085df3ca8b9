"""The Petition aggregate (诉求): its events and values."""
