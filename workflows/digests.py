"""How Tindak keeps a value it must recognise but never show again (API tokens, tracking
secrets, Open311 keys, rate-limit and lockout keys): the hex SHA-256 of its UTF-8 text.

These values are random and long (or, for usernames and rate-limit keys, not secret), so a
plain hash suffices; passwords use Werkzeug's salted, slow hashes instead.
"""
from __future__ import annotations

import hashlib


def sha256_hex(text: str) -> str:
    """The SHA-256 of `text` (UTF-8) as 64 lowercase hex digits."""
    return hashlib.sha256(text.encode()).hexdigest()
