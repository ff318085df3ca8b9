"""Sending e-mail (SMTP) for the notifications."""
