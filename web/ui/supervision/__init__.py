"""The supervisor's pages (督办)."""
