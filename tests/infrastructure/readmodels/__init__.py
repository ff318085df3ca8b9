"""Tests of infrastructure.readmodels."""
