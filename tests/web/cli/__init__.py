"""Tests of web.cli."""
