"""Test helpers shared by the suites (no fakes of our own database or search engine)."""
