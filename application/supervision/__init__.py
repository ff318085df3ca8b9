"""Supervision across cases: the deadline tick, what-if replays, key figures, boards."""
