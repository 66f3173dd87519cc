"""Jinja filters: times in Asia/Jakarta, labels, safe Markdown, deadline badges."""
from __future__ import annotations

from datetime import datetime

from flask import Flask
from flask_babel import format_datetime, format_timedelta, get_locale
from markdown_it import MarkdownIt
from markupsafe import Markup

from engine.clock import now
from webapp import labels
from workflows.task_lists import sla_colour

# raw HTML is escaped, and markdown-it refuses javascript: and data: links itself
_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False})


def wib(value: datetime | None, fmt: str = "d MMM yyyy HH:mm") -> str:
    """A time shown in Asia/Jakarta (the app's Babel time zone), with the zone named."""
    if value is None:
        return ""
    return f"{format_datetime(value, fmt)} WIB"


def age(value: datetime | None) -> str:
    if value is None:
        return ""
    return format_timedelta(now() - value, granularity="hour", threshold=0.9)


def markdown(text: str | None) -> Markup:
    return Markup(_markdown.render(text or ""))  # noqa: S704 (html disabled above)


def register(app: Flask) -> None:
    app.add_template_filter(wib)
    app.add_template_filter(age)
    app.add_template_filter(markdown)
    app.add_template_filter(labels.status_label, "status_label")
    app.add_template_filter(lambda c: labels.STATUS_COLOUR.get(c, "secondary"), "status_colour")
    app.add_template_filter(lambda c: str(labels.ROLE.get(c, c)), "role_label")
    app.add_template_filter(lambda c: str(labels.CLASSIFICATION.get(c, c)), "classification_label")
    app.add_template_filter(lambda c: str(labels.CHANNEL.get(c, c)), "channel_label")
    app.add_template_filter(lambda c: str(labels.EVENT.get(c, c)), "event_label")
    app.add_template_global(sla_colour, "sla_colour")
    app.add_template_global(get_locale, "get_locale")
