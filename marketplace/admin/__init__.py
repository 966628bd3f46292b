"""Operator use cases: verification, moderation, disputes, synonyms, reports, the audit log."""
