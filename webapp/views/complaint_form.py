"""The citizens' complaint form (`/lapor`) as a Flask-WTF form, like the officers' forms.

Every text field is cleaned (control characters out, trimmed) before it is checked; a field
shows its first problem. The map point is checked as one (`location`). Categories are checked
by the domain (workflows.complaints); the regions the view offers are given to the form.
The files' content is checked by workflows.attachments, not here.
"""
from __future__ import annotations

import math
import re
from collections.abc import Collection
from datetime import date

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import MultipleFileField
from wtforms import BooleanField, StringField, TextAreaField
from wtforms.validators import AnyOf, StopValidation, ValidationError

from workflows.complaints import CLASSIFICATIONS
from workflows.emails import is_email

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")  # PostgreSQL refuses NUL in text
_PHONE = re.compile(r"^\+?[0-9()\-.\s]{6,}$")


def clean(value, limit: int | None = None) -> str:
    """Submitted text without control characters, trimmed (and cut at `limit` for look-ups)."""
    text = _CONTROL.sub("", value if isinstance(value, str) else "").strip()
    return text[:limit] if limit else text


class Required:
    """Empty after cleaning: `message`, and no further checks of the field."""

    def __init__(self, message):
        self.message = message
        self.field_flags = {"required": True}

    def __call__(self, form, field):
        if not field.data:
            raise StopValidation(self.message)


class MaxChars:
    def __init__(self, limit: int):
        self.limit = limit

    def __call__(self, form, field):
        if len(field.data or "") > self.limit:
            raise StopValidation(_l("At most %(count)d characters (you wrote %(length)d).",
                                    count=self.limit, length=len(field.data)))


class Email:
    """A filled-in field must be an address Tindak can write to (workflows.emails: one rule for all)."""

    def __init__(self, message):
        self.message = message

    def __call__(self, form, field):
        if field.data and not is_email(field.data):
            raise StopValidation(self.message)


class Matches:
    """A filled-in field must match `pattern`; an empty one is fine."""

    def __init__(self, pattern: re.Pattern, message):
        self.pattern, self.message = pattern, message

    def __call__(self, form, field):
        if field.data and not self.pattern.match(field.data):
            raise ValidationError(self.message)


def _coordinate(raw: str, bound: int) -> float:
    number = float(raw.replace(",", "."))  # ValueError for text; the caller reports it
    if not math.isfinite(number) or abs(number) > bound:
        raise ValueError(raw)
    return number


class ChecksEveryValue(BooleanField):
    """A ticked box, whatever its value (an empty one too): only its absence means no."""

    false_values = ()


NEW = {"classification": "pengaduan"}  # what a new form shows chosen (anonim is the field's default)


class ComplaintForm(FlaskForm):
    """The complaint form; `regions` are the region codes the page offers, `today` bounds the date."""

    title = StringField(_l("Title"), filters=[clean],
                        validators=[Required(_l("This field is required.")), MaxChars(200)])
    description = TextAreaField(_l("Your report"), filters=[clean],
                                validators=[Required(_l("This field is required.")), MaxChars(20000)])
    classification = StringField(_l("Type of report"), filters=[clean],  # a new form starts at NEW
                                 validators=[AnyOf(CLASSIFICATIONS, message=_l("Choose one of the options."))])
    category = StringField(_l("Category"), filters=[clean], validators=[Required(_l("Choose a category."))])
    incident_date = StringField(_l("Date of the incident"), filters=[clean])
    region = StringField(_l("Province, city or regency"), filters=[clean])
    address = StringField(_l("Address or place"), filters=[clean], validators=[MaxChars(500)])
    latitude = StringField(_l("Latitude"), filters=[clean])
    longitude = StringField(_l("Longitude"), filters=[clean])
    attachments = MultipleFileField(_l("Photos or documents"))
    anonymous = ChecksEveryValue(_l("Anonymous: hide my name and contact details from the agency"), default=True)
    confidential = ChecksEveryValue(_l("Confidential: keep my report out of the public list"))
    reporter_name = StringField(_l("Name"), filters=[clean], validators=[MaxChars(200)])
    reporter_email = StringField(_l("E-mail"), filters=[clean], validators=[
        MaxChars(200), Email(_l("This does not look like an e-mail address (name@example.com)."))])
    reporter_phone = StringField(_l("Phone"), filters=[clean], validators=[
        MaxChars(50), Matches(_PHONE, _l("Use digits only, for example 0812 3456 7890."))])
    website = StringField(_l("Leave this field empty"))  # the honeypot: hidden by CSS, filled only by bots

    def __init__(self, *args, regions: Collection[str] = frozenset(), today: date | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.regions, self.today = regions, today or date.today()
        self.point: tuple[float, float] | tuple[None, None] = (None, None)
        self.incident: date | None = None

    def validate_region(self, field):
        if field.data and field.data not in self.regions:
            raise ValidationError(_l("Choose one of the options."))

    def validate_latitude(self, field):
        """Both coordinates or neither; the message belongs to the map point as a whole."""
        if not (field.data or self.longitude.data):
            return
        try:
            self.point = (_coordinate(field.data, 90), _coordinate(self.longitude.data, 180))
        except ValueError:
            raise ValidationError(_l("Give both latitude and longitude as numbers (for example -0.0263 and "
                                     "109.3425), or leave both empty.")) from None

    def validate_incident_date(self, field):
        if not field.data:
            return
        try:
            incident = date.fromisoformat(field.data)
            if incident.year < 1900:
                raise ValueError(field.data)
        except ValueError:
            raise ValidationError(_l("Enter a date such as 17-08-2025.")) from None
        if incident > self.today:
            raise ValidationError(_l("The date cannot be in the future."))
        self.incident = incident

    def problems(self) -> dict[str, str]:
        """The first message of each field, by the names the page uses (`location` for the map point)."""
        shown = {"latitude": "location", "longitude": "location"}
        return {shown.get(name, name): str(messages[0]) for name, messages in self.errors.items()
                if name != "csrf_token" and messages}

    def files(self) -> list:
        return [f for f in self.attachments.data or [] if getattr(f, "filename", None)]
