"""Helpers for the tests that need tools beyond the Python test extras (see tests/install-tools)."""
