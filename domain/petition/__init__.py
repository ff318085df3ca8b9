"""The Petition aggregate (诉求; one class, its events nested in it) and its values."""
