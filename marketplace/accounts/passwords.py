"""Argon2id password hashing (argon2-cffi), run off the event loop."""

from __future__ import annotations

import anyio.to_thread
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

# OWASP's Argon2id recommendation (m=19 MiB, t=2, p=1) in production; cheap parameters only in tests.
_PRODUCTION = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
_TEST = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


def hasher(env: str) -> PasswordHasher:
    return _TEST if env == "test" else _PRODUCTION


async def hash_password(password: str, *, env: str) -> str:
    return await anyio.to_thread.run_sync(hasher(env).hash, password)


async def verify_password(stored_hash: str, password: str, *, env: str) -> bool:
    def verify() -> bool:
        try:
            return hasher(env).verify(stored_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    return await anyio.to_thread.run_sync(verify)


def needs_rehash(stored_hash: str, *, env: str) -> bool:
    return hasher(env).check_needs_rehash(stored_hash)


# Verified against when the email is unknown, so a miss costs as much time as a wrong password.
_DUMMY_HASHES: dict[str, str] = {}


async def burn_verification_time(password: str, *, env: str) -> None:
    if env not in _DUMMY_HASHES:
        _DUMMY_HASHES[env] = await hash_password("dummy password for timing", env=env)
    await verify_password(_DUMMY_HASHES[env], password, env=env)
