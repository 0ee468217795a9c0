"""The export tests' fixtures: a folder of exports per test."""
import pytest


@pytest.fixture(autouse=True)
def export_root(settings, tmp_path):
    """A folder of exports for this test alone (the task's worker thread reads the same settings)."""
    settings.EXPORT_ROOT = tmp_path / "exports"
    return settings.EXPORT_ROOT
