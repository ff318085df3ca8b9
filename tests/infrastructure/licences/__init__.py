"""Tests of infrastructure.licences: the key, the PDF and its offline check."""
