"""Tradeyard marketplace: the application, its settings, and the company-wide domains."""

__version__ = "0.1.0"
