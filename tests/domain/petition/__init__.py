"""Tests of domain.petition."""
