"""Tests of domain.shared."""
