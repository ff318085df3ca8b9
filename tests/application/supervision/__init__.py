"""Tests of application.supervision."""
