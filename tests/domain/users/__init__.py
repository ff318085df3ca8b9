"""Tests of domain.users."""
