"""GeoReport v2 parameters, read into domain input: a POST into a ComplaintInput, a GET into a RequestFilter.

Every unusable parameter becomes a `Problem` (field, reason); `ParamsInvalid` carries them all
to a 400 answer with one error each. Text that XML 1.0 cannot carry (NUL and most control
characters) is refused here, so it never reaches the database or an XML answer.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone

from werkzeug.datastructures import MultiDict

from workflows.complaints import ComplaintInput
from workflows.emails import is_email
from workflows.open311 import ATTRIBUTES, RequestFilter
from workflows.public import JAKARTA

WINDOW = timedelta(days=90)  # the spec's default range of GET requests, and its largest
MAX_DESCRIPTION = 4000  # the spec's limit for `description`
TITLE_LENGTH = 100
DEFAULT_TITLE = "Laporan via Open311"
LIMITS = {"service_code": 100, "address_string": 400, "address_id": 80, "email": 200, "first_name": 100,
          "last_name": 99, "phone": 50, "device_id": 200, "account_id": 200, "media_url": 1000,
          "description": MAX_DESCRIPTION, "lat": 50, "long": 50, "start_date": 50, "end_date": 50}
FORBIDDEN = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)")
W3_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?)?")
URL = re.compile(r"https?://[^\s/?#]+[^\s]*", re.IGNORECASE)
ATTRIBUTE_KEY = re.compile(r"attribute\[([^\[\]]*)\](\[\])?")


@dataclass(frozen=True)
class Problem:
    field: str
    reason: str  # a key of webapp.open311.errors.REASONS
    limit: int | None = None
    allowed: tuple[str, ...] = ()


@dataclass
class ParamsInvalid(Exception):
    problems: list[Problem] = field(default_factory=list)


def parse_datetime(value: str) -> datetime:
    """A W3C/ISO 8601 date or date-time as aware UTC; one without an offset is Asia/Jakarta time.

    Raises ValueError, also for a date that overflows when converted.
    """
    text = value.strip()
    if not W3_DATETIME.fullmatch(text):
        raise ValueError(value)
    try:
        parsed = datetime.fromisoformat(text)
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=JAKARTA)
        return parsed.astimezone(timezone.utc)
    except OverflowError as exc:
        raise ValueError(value) from exc


class _Reader:
    """Reads parameters of one request, collecting the problems."""

    def __init__(self, params: MultiDict):
        self.params = params
        self.problems: list[Problem] = []

    def problem(self, name: str, reason: str, **extra) -> None:
        self.problems.append(Problem(name, reason, **extra))

    def text(self, name: str, value: str | None = None, limit: int | None = None) -> str:
        """One parameter, stripped; empty means absent (the spec's "optional arguments")."""
        value = (self.params.get(name, "") if value is None else value).strip()
        limit = limit or LIMITS.get(name)
        if FORBIDDEN.search(value):
            self.problem(name, "characters")
        elif limit and len(value) > limit:
            self.problem(name, "too_long", limit=limit)
        return value

    def items(self, name: str) -> list[str]:
        """A list parameter: comma-separated, and/or repeated."""
        joined = ",".join(self.params.getlist(name))
        return [item for item in (self.text(name, i, 100) for i in joined.split(",")) if item]

    def number(self, name: str, value: str, bound: float) -> float | None:
        if not NUMBER.fullmatch(value):
            self.problem(name, "number")
            return None
        number = float(value)
        if not -bound <= number <= bound:
            self.problem(name, "range")
            return None
        return number

    def datetime(self, name: str, value: str) -> datetime | None:
        try:
            return parse_datetime(value)
        except ValueError:
            self.problem(name, "datetime")
            return None


def _attribute_values(params: MultiDict) -> dict[str, list[str]]:
    values: dict[str, list[str]] = {}
    for key in params:
        match = ATTRIBUTE_KEY.fullmatch(key)
        if match:
            values.setdefault(match[1], []).extend(params.getlist(key))
    return values


def _attributes(r: _Reader, today: date) -> tuple[dict[str, str], dict[str, date]]:
    """The attributes given or defaulted: the chosen values, and the dates (days in Jakarta)."""
    given = _attribute_values(r.params)
    chosen: dict[str, str] = {}
    days: dict[str, date] = {}
    for attribute in ATTRIBUTES:
        name = f"attribute[{attribute.code}]"
        values = [v for v in (r.text(name, v, 100) for v in given.get(attribute.code, [])) if v]
        if len(values) > 1:
            r.problem(name, "single")
            continue
        value = values[0] if values else attribute.default
        if value is None:
            if attribute.required:
                r.problem(name, "required")
        elif attribute.datatype == "datetime":
            moment = r.datetime(name, value)
            if moment is not None and moment.astimezone(JAKARTA).date() > today:
                r.problem(name, "future")
            elif moment is not None:
                days[attribute.code] = moment.astimezone(JAKARTA).date()
        elif value.lower() in attribute.values:
            chosen[attribute.code] = value.lower()
        else:
            r.problem(name, "choice", allowed=attribute.values)
    return chosen, days


def _location(r: _Reader) -> tuple[float | None, float | None, str | None]:
    lat, lng = r.text("lat"), r.text("long")
    latitude = longitude = None
    if lat and lng:
        latitude, longitude = r.number("lat", lat, 90), r.number("long", lng, 180)
    elif lat or lng:
        r.problem("long" if lat else "lat", "pair")
    address, address_id = r.text("address_string"), r.text("address_id")
    if not (lat or lng or address or address_id):
        r.problem("location", "location")
    if address_id:  # we keep no address register: the ID stays readable in the address
        address = f"{address} (address_id: {address_id})" if address else f"address_id: {address_id}"
    return latitude, longitude, address or None


def _description(r: _Reader) -> tuple[str, str]:
    description, media = r.text("description"), r.text("media_url")
    if media and not URL.fullmatch(media):
        r.problem("media_url", "url")
    if not description and not media:
        r.problem("description", "required")
    title = " ".join(description.split())[:TITLE_LENGTH].rstrip() or DEFAULT_TITLE
    if media:  # kept as the description's last line: we store no remote files
        description = f"{description}\n\nMedia: {media}".strip()
    return title, description


def new_complaint(params: MultiDict, today: date) -> ComplaintInput:
    """The complaint a POST asks for (channel open311, anonymous unless the client says otherwise)."""
    r = _Reader(params)
    code = r.text("service_code")
    if not code:
        r.problem("service_code", "required")
    latitude, longitude, address = _location(r)
    title, description = _description(r)
    chosen, days = _attributes(r, today)
    name = " ".join(filter(None, (r.text("first_name"), r.text("last_name"))))
    email, phone = r.text("email"), r.text("phone")
    if email and not is_email(email):
        r.problem("email", "email")
    r.text("device_id"), r.text("account_id")  # accepted, not stored
    if r.problems:
        raise ParamsInvalid(r.problems)
    return ComplaintInput(
        title=title, description=description, category=code, classification=chosen["classification"],
        channel="open311", address=address, latitude=latitude, longitude=longitude,
        incident_date=days.get("incident_date"), anonymous=chosen["anonymous"] == "true",
        confidential=chosen["confidential"] == "true", reporter_name=name or None,
        reporter_email=email or None, reporter_phone=phone or None, locale="id")


def _window(r: _Reader, at: datetime) -> tuple[datetime, datetime] | None:
    texts = {name: r.text(name) for name in ("start_date", "end_date")}
    start = r.datetime("start_date", texts["start_date"]) if texts["start_date"] else None
    end = r.datetime("end_date", texts["end_date"]) if texts["end_date"] else None
    if r.problems:
        return None
    try:
        if start is None:
            end = end or at
            start = end - WINDOW
        elif end is None:
            end = start + WINDOW
    except OverflowError:  # the default bound fell off the calendar: blame the one date given
        r.problem("start_date" if texts["start_date"] else "end_date", "datetime")
        return None
    if end < start:
        r.problem("end_date", "before_start")
    elif end - start > WINDOW:
        r.problem("end_date", "window")
    return None if r.problems else (start, end)


def request_filter(params: MultiDict, at: datetime) -> RequestFilter:
    """GET requests' filters; `service_request_id` overrides the others, which are then not even read."""
    r = _Reader(params)
    ids = r.items("service_request_id")
    if ids and not r.problems:
        return RequestFilter(start=at, end=at, tracking_ids=ids)
    codes = r.items("service_code")
    wanted = {s.lower() for s in r.items("status")}
    if wanted - {"open", "closed"}:
        r.problem("status", "choice", allowed=("open", "closed"))
    window = _window(r, at)
    if r.problems or window is None:
        raise ParamsInvalid(r.problems)
    return RequestFilter(start=window[0], end=window[1], service_codes=codes, statuses=wanted)
