"""Tests of application.catalogue."""
