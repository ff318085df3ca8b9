"""The event store: eventsourcing-sqlalchemy set-up, recorders, encryption at rest, the request ledger."""
