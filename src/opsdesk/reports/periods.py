"""Report periods: calendar months in the reader's time zone, parsed from ``YYYY-MM``."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.utils.translation import gettext as _

from opsdesk.core.errors import ValidationFailed

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
DEFAULT_ZONE = "Asia/Shanghai"


def zone_of(user: object) -> ZoneInfo:
    """The reader's zone (their profile's, else the site's, else Asia/Shanghai)."""
    for name in (getattr(user, "time_zone", ""), getattr(settings, "TIME_ZONE", ""), DEFAULT_ZONE):
        if name and name != "UTC":
            try:
                return ZoneInfo(name)
            except (ZoneInfoNotFoundError, ValueError):
                continue
    return ZoneInfo(DEFAULT_ZONE)


def parse_month(value: str | None, field: str) -> dt.date | None:
    """``"2026-10"`` → 2026-10-01; empty → None; anything else is a 422 naming ``field``."""
    value = (value or "").strip()
    if not value:
        return None
    match = _MONTH.match(value)
    if match:
        year, month = int(match[1]), int(match[2])
        if 1 <= month <= 12 and 1900 <= year <= 9999:
            return dt.date(year, month, 1)
    raise ValidationFailed(_("The month is not valid."),
                           field_errors={field: [_("Enter a month such as 2026-10.")]})


def next_month(first: dt.date) -> dt.date:
    return dt.date(first.year + first.month // 12, first.month % 12 + 1, 1)


def month_label(first: dt.date) -> str:
    return f"{first.year:04d}-{first.month:02d}"


@dataclass(frozen=True)
class Period:
    """From the first day of ``first`` to the end of ``last`` (both months included), in ``zone``.

    Either end may be open (None).
    """

    first: dt.date | None
    last: dt.date | None
    zone: ZoneInfo

    @property
    def start(self) -> dt.datetime | None:
        return dt.datetime.combine(self.first, dt.time(), tzinfo=self.zone) if self.first else None

    @property
    def end(self) -> dt.datetime | None:
        """The first moment after the period (exclusive)."""
        return dt.datetime.combine(next_month(self.last), dt.time(), tzinfo=self.zone) if self.last else None

    def filter_kwargs(self, field: str) -> dict[str, dt.datetime]:
        kwargs = {}
        if self.start is not None:
            kwargs[f"{field}__gte"] = self.start
        if self.end is not None:
            kwargs[f"{field}__lt"] = self.end
        return kwargs


def period_of(*, user: object, month: str | None = None, month_from: str | None = None,
              month_to: str | None = None) -> Period:
    """One month (``month``) or a range of months (``month_from`` … ``month_to``, either open)."""
    zone = zone_of(user)
    single = parse_month(month, "month")
    if single is not None:
        return Period(single, single, zone)
    first = parse_month(month_from, "month_from")
    last = parse_month(month_to, "month_to")
    if first and last and first > last:
        raise ValidationFailed(_("The period ends before it starts."),
                               field_errors={"month_to": [_("Choose a month after the first month.")]})
    return Period(first, last, zone)
