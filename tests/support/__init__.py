"""Fixtures' building blocks shared by the whole test suite."""
