"""Tests of infrastructure.accounts."""
