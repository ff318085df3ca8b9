"""Tests of application.cases."""
