"""Tests of domain.case."""
