"""Tests of infrastructure.backup."""
