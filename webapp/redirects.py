"""Where a `next` parameter may send the browser: one rule for every redirect back."""
from __future__ import annotations

from urllib.parse import urlsplit


def local_target(target: str | None, under: str = "/") -> str | None:
    """`target` if it is a path on this site starting with `under`, else None.

    Only a path (with query) is accepted: no scheme, no host, nothing a browser could read
    as another site: "//host", "/\\host" (browsers treat "\\" as "/"), and tabs or line
    breaks, which browsers drop from URLs, so "/\\t/host" would become "//host".
    """
    if not target or not isinstance(target, str) or len(target) > 2000:
        return None
    if any(ch < " " or ch == "\x7f" for ch in target) or "\\" in target:
        return None
    if not target.startswith("/") or target.startswith("//"):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith(under):
        return None
    return target
