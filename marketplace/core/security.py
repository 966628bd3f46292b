"""Random tokens that are shown once and stored only as a hash."""

from __future__ import annotations

import hashlib
import secrets


def new_token(prefix: str = "") -> tuple[str, bytes]:
    """A 256-bit random token (``prefix`` + urlsafe text) and its SHA-256, which is what we store."""
    raw = prefix + secrets.token_urlsafe(32)
    return raw, hash_token(raw)


def hash_token(raw: str) -> bytes:
    return hashlib.sha256(raw.encode()).digest()
