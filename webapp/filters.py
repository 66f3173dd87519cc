"""Jinja filters: times in Asia/Jakarta, labels, safe Markdown, deadline badges."""
from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta, timezone

from flask import Flask
from flask_babel import format_datetime, format_timedelta, get_locale
from flask_babel import gettext as _
from markdown_it import MarkdownIt
from markupsafe import Markup

from engine.clock import now
from webapp import content_language, form_render, labels
from workflows.task_lists import sla_colour

# raw HTML is escaped, and markdown-it refuses javascript: and data: links itself
_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False})
MINUTE = timedelta(minutes=1)


def wib(value: datetime | None, fmt: str = "d MMM yyyy HH:mm") -> str:
    """A time shown in Asia/Jakarta (the app's Babel time zone), with the zone named."""
    if value is None:
        return ""
    return f"{format_datetime(value, fmt)} WIB"


def _elapsed(value: datetime) -> timedelta:
    """Time since `value` (naive values are UTC, as stored); never negative, so a clock a little
    behind the database's does not make a new case look like it comes from the future."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return max(now() - value, timedelta(0))


def age(value: datetime | None) -> str:
    """How old something is: "less than a minute", "5 minutes", "3 hours", "2 days".

    Counted in minutes at least: a coarser granularity rounds everything under it up to one
    unit (Babel shows 20 seconds as "1 hour" with granularity="hour"), and a threshold of 1
    keeps 59 minutes from being shown as "1 hour".
    """
    if value is None:
        return ""
    elapsed = _elapsed(value)
    if elapsed < MINUTE:
        return _("less than a minute")
    return format_timedelta(elapsed, granularity="minute", threshold=1)


def ago(value: datetime | None) -> str:
    """When something happened, relative to now: "just now", "5 minutes ago", "2 days ago"."""
    if value is None:
        return ""
    elapsed = _elapsed(value)
    if elapsed < MINUTE:
        return _("just now")
    return format_timedelta(-elapsed, granularity="minute", threshold=1, add_direction=True)


def markdown(text: str | None) -> Markup:
    return Markup(_markdown.render(text or ""))  # noqa: S704 (html disabled above)


def sla_due(key: str, category: str | None = None, agency: str | None = None) -> datetime | None:
    """When an SLA counted from now would end (the SLA book the diagram's timers use), or None."""
    from webapp import services
    from workflows.sla import UnknownSla

    try:
        return services.process_engine().sla_book.due(key, category, agency)
    except UnknownSla:
        return None


def link_args(args: Mapping[str, str]) -> dict[str, str]:
    """The URL arguments a list's page links carry over: not `page` (each link sets its own) and
    no name starting with "_", which url_for would take as one of its own options (`_method`,
    `_scheme`, `_anchor`, `_external`) instead of putting it in the query string."""
    return {k: v for k, v in args.items() if k != "page" and not k.startswith("_")}


def register(app: Flask) -> None:
    app.add_template_global(sla_due, "sla_due")
    app.add_template_global(link_args, "link_args")
    app.add_template_filter(wib)
    app.add_template_filter(form_render.sections, "form_sections")
    app.add_template_filter(lambda text: f"“{text}”", "quoted")
    app.add_template_filter(age)
    app.add_template_filter(ago)
    app.add_template_filter(markdown)
    app.add_template_filter(labels.status_label, "status_label")
    app.add_template_filter(lambda c: labels.STATUS_COLOUR.get(c, "secondary"), "status_colour")
    app.add_template_filter(lambda c: str(labels.ROLE.get(c, c)), "role_label")
    app.add_template_filter(lambda c: str(labels.CLASSIFICATION.get(c, c)), "classification_label")
    app.add_template_filter(lambda c: str(labels.CHANNEL.get(c, c)), "channel_label")
    app.add_template_filter(lambda c: str(labels.EVENT.get(c, c)), "event_label")
    app.add_template_global(sla_colour, "sla_colour")
    app.add_template_global(get_locale, "get_locale")
    content_language.register(app)
