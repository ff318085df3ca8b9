"""The demo: sample catalogue, users and cases, driven through the real commands."""
