"""Password hashing with argon2id, off the event loop."""

from __future__ import annotations

import asyncio

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

# OWASP's minimum argon2id profile (19 MiB, t=2): safe, and cheap enough for provisioning bursts.
_HASHER = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1)
MAX_PASSWORD_LENGTH = 1024


async def hash_password(password: str) -> str:
    return await asyncio.to_thread(_HASHER.hash, password)


async def verify_password(stored_hash: str, password: str) -> bool:
    def check() -> bool:
        try:
            return bool(_HASHER.verify(stored_hash, password))
        except (VerificationError, InvalidHashError):
            return False

    return await asyncio.to_thread(check)
