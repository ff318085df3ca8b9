"""The business of one-thing packaged services: bundles, cases and their rules.

This package imports only the standard library and ``eventsourcing.domain``.
"""
