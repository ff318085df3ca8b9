"""Tests of application.common."""
