"""Helpers shared by the test folders: `from support.<topic> import ...` (tests/ is on
pytest's pythonpath)."""
