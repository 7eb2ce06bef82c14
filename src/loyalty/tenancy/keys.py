"""Server API keys: ``lk_<prefix>_<secret>``. Keys carry 256 bits of randomness, so a
single SHA-256 digest is a safe way to store them (no password stretching needed)."""

import hashlib
import secrets
from dataclasses import dataclass


@dataclass(frozen=True)
class NewKey:
    plaintext: str
    prefix: str
    digest: str


def digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def generate() -> NewKey:
    prefix = secrets.token_hex(4)
    plaintext = f"lk_{prefix}_{secrets.token_urlsafe(32)}"
    return NewKey(plaintext=plaintext, prefix=prefix, digest=digest(plaintext))
