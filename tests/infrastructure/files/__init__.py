"""Tests of infrastructure.files: the folder and S3 file stores, sniffing, gc, verify, backups of files."""
