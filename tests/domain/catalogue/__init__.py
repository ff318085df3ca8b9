"""Tests of domain.catalogue."""
