"""Tests of application.users."""
