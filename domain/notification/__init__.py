"""Notifications to applicants: each delivery of one, as an aggregate."""
