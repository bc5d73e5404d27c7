"""Business calendars: weekly working hours, holidays and make-up working days (调休) per calendar.

A calendar belongs to at most one organisation; organisations without one use their parent's, else the
default calendar (exactly one is marked ``is_default``). The arithmetic lives in ``businesstime`` (no ORM);
``selectors.calendar_spec`` turns these rows into its ``CalendarSpec``.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models import F, Q
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from opsdesk.accounts.models import Organisation


class HolidayRegion(models.TextChoices):
    NONE = "", _("None (weekly hours only)")
    CN = "CN", _("Mainland China (chinese-calendar)")


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")


class CalendarDayKind(models.TextChoices):
    HOLIDAY = "holiday", _("Holiday")
    WORKDAY = "workday", _("Make-up working day")


class CalendarDaySource(models.TextChoices):
    SEEDED = "seeded", _("Seeded from chinese-calendar")
    MANUAL = "manual", _("Entered by an administrator")


class BusinessCalendar(models.Model):
    """Working hours, holidays and make-up days that business time (SLA) is counted in."""

    name = models.CharField(_("name"), max_length=120)
    name_en = models.CharField(_("English name"), max_length=120, blank=True)
    code = models.SlugField(_("code"), max_length=60, unique=True)
    description = models.TextField(_("description"), blank=True)
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="business_calendars",
    )
    time_zone = models.CharField(_("time zone"), max_length=60, default="Asia/Shanghai")
    always_open = models.BooleanField(_("always open (7×24)"), default=False)
    is_default = models.BooleanField(_("default calendar"), default=False)
    holiday_region = models.CharField(
        _("public holidays"), max_length=8, choices=HolidayRegion.choices, default=HolidayRegion.CN, blank=True
    )
    # Bumped by every write to the calendar, its hours or its days: the cache key of its spec.
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    # A new random stamp with every write: the key of cached specs (ids and versions repeat after a
    # rolled-back transaction, a stamp never does).
    stamp = models.UUIDField(default=uuid.uuid4, editable=False)
    created_at = models.DateTimeField(_("created at"), editable=False)
    updated_at = models.DateTimeField(_("updated at"), editable=False)

    class Meta:
        ordering = ["-is_default", "code"]
        verbose_name = _("business calendar")
        verbose_name_plural = _("business calendars")
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"], condition=Q(is_default=True), name="calendars_one_default"
            ),
            models.UniqueConstraint(
                fields=["organisation"], condition=Q(organisation__isnull=False), name="calendars_one_per_organisation"
            ),
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        language = get_language() or ""
        return self.name_en if language.startswith("en") and self.name_en else self.name


class WorkingPeriod(models.Model):
    """One working period of a weekday, e.g. Monday 08:30–12:00 (times in the calendar's zone)."""

    calendar = models.ForeignKey(
        BusinessCalendar, verbose_name=_("calendar"), on_delete=models.CASCADE, related_name="periods"
    )
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices)
    start = models.TimeField(_("start"))
    end = models.TimeField(_("end"))

    class Meta:
        ordering = ["calendar", "weekday", "start"]
        verbose_name = _("working period")
        verbose_name_plural = _("working periods")
        constraints = [
            models.CheckConstraint(condition=Q(start__lt=F("end")), name="calendars_period_start_before_end"),
            models.UniqueConstraint(fields=["calendar", "weekday", "start"], name="calendars_period_unique_start"),
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.start:%H:%M}–{self.end:%H:%M}"


class CalendarDay(models.Model):
    """A date that departs from the weekly hours: a holiday, or a make-up working day (调休)."""

    calendar = models.ForeignKey(
        BusinessCalendar, verbose_name=_("calendar"), on_delete=models.CASCADE, related_name="days"
    )
    date = models.DateField(_("date"))
    kind = models.CharField(_("kind"), max_length=10, choices=CalendarDayKind.choices)
    name = models.CharField(_("name"), max_length=120, blank=True)
    name_en = models.CharField(_("English name"), max_length=120, blank=True)
    source = models.CharField(
        _("source"), max_length=10, choices=CalendarDaySource.choices, default=CalendarDaySource.MANUAL
    )

    class Meta:
        ordering = ["calendar", "date"]
        verbose_name = _("calendar day")
        verbose_name_plural = _("calendar days")
        constraints = [models.UniqueConstraint(fields=["calendar", "date"], name="calendars_day_unique_date")]

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d} {self.get_kind_display()}"

    @property
    def display_name(self) -> str:
        language = get_language() or ""
        return self.name_en if language.startswith("en") and self.name_en else self.name


class HolidayYear(models.Model):
    """A year whose official holidays this calendar holds (seeded, or confirmed by an administrator).

    Days of a year without a row are ``no_holiday_data``: the calendar warns instead of silently
    assuming plain weekly hours.
    """

    calendar = models.ForeignKey(
        BusinessCalendar, verbose_name=_("calendar"), on_delete=models.CASCADE, related_name="holiday_years"
    )
    year = models.PositiveSmallIntegerField(_("year"))
    source = models.CharField(
        _("source"), max_length=10, choices=CalendarDaySource.choices, default=CalendarDaySource.SEEDED
    )
    recorded_at = models.DateTimeField(_("recorded at"))

    class Meta:
        ordering = ["calendar", "year"]
        verbose_name = _("holiday year")
        verbose_name_plural = _("holiday years")
        constraints = [models.UniqueConstraint(fields=["calendar", "year"], name="calendars_year_unique")]

    def __str__(self) -> str:
        return str(self.year)
