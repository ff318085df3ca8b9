"""Tests of application.projections."""
