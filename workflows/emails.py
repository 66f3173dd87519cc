"""The one rule for what counts as an e-mail address, for officers, reporters and Open311.

Deliberately simple (something@domain.tld): the address is proven only by mail arriving.
It refuses what could break or extend the To: header of a notice: whitespace (line
breaks included), control characters, a second "@", and , ; < > ".
"""
from __future__ import annotations

import re

MAX_EMAIL_LENGTH = 200  # the length of the e-mail columns
_PART = r'[^@\s\x00-\x1f\x7f,;<>"]+'
EMAIL = re.compile(rf"{_PART}@{_PART}\.{_PART}")


def is_email(text: str | None) -> bool:
    """True when `text`, as given (not stripped), is an e-mail address Tindak accepts."""
    if not text:
        return False
    return len(text) <= MAX_EMAIL_LENGTH and EMAIL.fullmatch(text) is not None
