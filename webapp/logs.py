"""Keeping secrets out of the logs.

The reporter's tracking secret may arrive in a URL (`?kode=...`, the link in the first e-mail)
before `webapp.views.public` exchanges it for the session and redirects to an address without
it. Access logs write every request line, so the filter here masks such values in each record
of gunicorn's access and error logs and of werkzeug's development server.
"""
from __future__ import annotations

import logging
import re

from gunicorn import glogging

SECRET_PARAMETERS = ("kode",)
MASK = "***"
_SECRET = re.compile(r"([?&;](?:%s)=)[^&;#\s\"']*" % "|".join(SECRET_PARAMETERS), re.IGNORECASE)


def mask_secrets(text: str) -> str:
    """`text` with the values of secret query parameters replaced by ***."""
    return _SECRET.sub(lambda m: m.group(1) + MASK, text)


class SecretFilter(logging.Filter):
    """Rewrites a record's message with its secrets masked (never drops a record)."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed record: leave it to the handler to complain
            return True
        masked = mask_secrets(message)
        if masked != message:
            record.msg, record.args = masked, None
        return True


def _add_once(logger: logging.Logger) -> None:
    if not any(isinstance(f, SecretFilter) for f in logger.filters):
        logger.addFilter(SecretFilter())


def install_filters() -> None:
    """Mask secrets in werkzeug's request log (the development server)."""
    _add_once(logging.getLogger("werkzeug"))


class GunicornLogger(glogging.Logger):
    """gunicorn's logger with secrets masked in its access and error logs (`tindak serve`)."""

    def setup(self, cfg) -> None:
        super().setup(cfg)
        _add_once(self.access_log)
        _add_once(self.error_log)
