"""Tests of application.licences."""
