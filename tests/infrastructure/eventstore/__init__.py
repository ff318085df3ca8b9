"""Tests of infrastructure.eventstore."""
