"""Tests of web.api."""
