"""Read models: how each event changes the rows that screens and lists read.

The logic here is pure: it reads and writes rows through a ``ViewSession`` (infrastructure
provides one bound to a database transaction, together with the tracking position), so the
same code maintains the views incrementally and rebuilds them from scratch.
"""
