"""Petitions (诉求): the petition application, what it is submitted with, and its reads."""
