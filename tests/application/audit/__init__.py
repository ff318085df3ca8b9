"""Tests of application.audit."""
