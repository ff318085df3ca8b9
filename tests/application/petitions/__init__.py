"""Tests of application.petitions."""
