"""Use cases: who may do what, on which aggregate, saved how. Imports ``domain`` only."""
