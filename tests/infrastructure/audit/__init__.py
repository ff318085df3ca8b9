"""Tests of infrastructure.audit."""
