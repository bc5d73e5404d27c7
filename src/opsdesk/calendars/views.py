"""Calendar pages for administrators: the list, a calendar's next 30 days, and its edit forms.

Each view parses a form, calls one service or selector and redirects or renders; a DomainError comes
back to the same page with the input kept and the error next to its field.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from opsdesk.accounts.roles import Permission as P
from opsdesk.core.errors import DomainError
from opsdesk.ui.form_errors import add_domain_error

from . import businesstime, selectors, services
from .forms import CalendarForm, DayForm, YearForm
from .models import BusinessCalendar, CalendarDayKind, Weekday
from .official_holidays import known_years

DAYS_SHOWN = 30


def _forbidden(request: HttpRequest) -> HttpResponse | None:
    if not request.user.holds(P.ADMINISTER):
        message = _("Only administrators maintain business calendars.")
        return render(request, "ui/error.html", {"status": 403, "message": message}, status=403)
    return None


def _weeks(days: list[businesstime.DayInfo]) -> list[list[businesstime.DayInfo | None]]:
    """The days laid out in Monday–Sunday rows, with empty cells before the first and after the last."""
    cells: list[businesstime.DayInfo | None] = [None] * days[0].date.weekday() + list(days)
    cells += [None] * (-len(cells) % 7)
    return [cells[i:i + 7] for i in range(0, len(cells), 7)]


def _first_day(request: HttpRequest, calendar: BusinessCalendar) -> date:
    try:
        return date.fromisoformat(request.GET.get("from", ""))
    except ValueError:
        return selectors.local_today(calendar)


def _detail(request: HttpRequest, calendar: BusinessCalendar, *, day_form: DayForm | None = None,
            year_form: YearForm | None = None, status: int = 200) -> HttpResponse:
    first = _first_day(request, calendar)
    days = selectors.calendar_days(calendar=calendar, start=first, end=first + timedelta(days=DAYS_SHOWN - 1))
    shown_years = sorted({first.year, (first + timedelta(days=DAYS_SHOWN - 1)).year})
    special = calendar.days.filter(date__year__in=shown_years + [selectors.local_today(calendar).year + 1])
    holiday_years = list(calendar.holiday_years.all())
    today = selectors.local_today(calendar)
    seedable = sorted(year for year in known_years() if year >= today.year - 1)
    context: dict[str, Any] = {
        "calendar": calendar,
        "weeks": _weeks(days),
        "first": first,
        "previous": first - timedelta(days=DAYS_SHOWN),
        "next": first + timedelta(days=DAYS_SHOWN),
        "uncovered_years": selectors.calendar_uncovered_years(calendar),
        "shown_uncovered": sorted({day.date.year for day in days if day.kind == "no_holiday_data"}),
        "weekly": [(label, calendar.periods.filter(weekday=weekday)) for weekday, label in _weekday_labels()],
        "special_days": special.order_by("date"),
        "holiday_years": holiday_years,
        "seedable_years": seedable,
        "known_first": min(known_years()),
        "known_last": max(known_years()),
        "day_form": day_form or DayForm(initial={"kind": CalendarDayKind.HOLIDAY}),
        "year_form": year_form or YearForm(initial={"year": today.year + 1}),
    }
    return render(request, "calendars/detail.html", context, status=status)


def _weekday_labels() -> list[tuple[int, str]]:
    return [(weekday.value, str(weekday.label)) for weekday in Weekday]


@login_required
def calendar_list(request: HttpRequest) -> HttpResponse:
    if (denied := _forbidden(request)) is not None:
        return denied
    q = request.GET.get("q", "")
    calendars = list(selectors.calendar_list(user=request.user, q=q).prefetch_related("holiday_years"))
    return render(request, "calendars/list.html", {"calendars": calendars, "q": q})


@login_required
def calendar_detail(request: HttpRequest, calendar_id: int) -> HttpResponse:
    if (denied := _forbidden(request)) is not None:
        return denied
    return _detail(request, selectors.calendar_get(calendar_id=calendar_id, user=request.user))


@login_required
def calendar_new(request: HttpRequest) -> HttpResponse:
    if (denied := _forbidden(request)) is not None:
        return denied
    form = CalendarForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            try:
                calendar = services.calendar_create(actor=request.user, code=form.cleaned_data["code"],
                                                    **form.service_arguments())
            except DomainError as error:
                add_domain_error(form, error)
                return render(request, "calendars/form.html", {"form": form}, status=error.status)
            messages.success(request, _("Calendar %(name)s created.") % {"name": calendar.display_name})
            return redirect("ui:calendar_detail", calendar_id=calendar.pk)
        return render(request, "calendars/form.html", {"form": form}, status=422)
    return render(request, "calendars/form.html", {"form": form})


@login_required
def calendar_edit(request: HttpRequest, calendar_id: int) -> HttpResponse:
    if (denied := _forbidden(request)) is not None:
        return denied
    calendar = selectors.calendar_get(calendar_id=calendar_id, user=request.user)
    if request.method == "POST":
        form = CalendarForm(request.POST, calendar=calendar, initial={"code": calendar.code})
        if form.is_valid():
            try:
                services.calendar_update(actor=request.user, calendar=calendar, version=form.cleaned_data["version"],
                                         **form.service_arguments())
            except DomainError as error:
                add_domain_error(form, error)
                return render(request, "calendars/form.html", {"form": form, "calendar": calendar},
                              status=error.status)
            messages.success(request, _("Calendar saved."))
            return redirect("ui:calendar_detail", calendar_id=calendar.pk)
        return render(request, "calendars/form.html", {"form": form, "calendar": calendar}, status=422)
    return render(request, "calendars/form.html", {"form": CalendarForm(calendar=calendar), "calendar": calendar})


@login_required
@require_POST
def calendar_day_set(request: HttpRequest, calendar_id: int) -> HttpResponse:
    if (denied := _forbidden(request)) is not None:
        return denied
    calendar = selectors.calendar_get(calendar_id=calendar_id, user=request.user)
    form = DayForm(request.POST)
    if form.is_valid():
        try:
            services.day_set(actor=request.user, calendar=calendar, **form.cleaned_data)
        except DomainError as error:
            add_domain_error(form, error)
            return _detail(request, calendar, day_form=form, status=error.status)
        messages.success(request, _("%(date)s saved.") % {"date": form.cleaned_data["date"].isoformat()})
        return redirect(f"{_detail_url(calendar)}?from={form.cleaned_data['date'].isoformat()}")
    return _detail(request, calendar, day_form=form, status=422)


@login_required
@require_POST
def calendar_day_remove(request: HttpRequest, calendar_id: int, day: str) -> HttpResponse:
    if (denied := _forbidden(request)) is not None:
        return denied
    calendar = selectors.calendar_get(calendar_id=calendar_id, user=request.user)
    try:
        services.day_remove(actor=request.user, calendar=calendar, date=day)
    except DomainError as error:
        messages.error(request, str(error.message))
        return redirect(_detail_url(calendar))
    messages.success(request, _("%(date)s follows the weekly hours again.") % {"date": day})
    return redirect(_detail_url(calendar))


@login_required
@require_POST
def calendar_year(request: HttpRequest, calendar_id: int) -> HttpResponse:
    """Seed a year from chinese-calendar (``action=seed``) or confirm a year entered by hand (``confirm``)."""
    if (denied := _forbidden(request)) is not None:
        return denied
    calendar = selectors.calendar_get(calendar_id=calendar_id, user=request.user)
    form = YearForm(request.POST)
    if not form.is_valid():
        return _detail(request, calendar, year_form=form, status=422)
    year = form.cleaned_data["year"]
    try:
        if request.POST.get("action") == "confirm":
            services.holiday_year_confirm(actor=request.user, calendar=calendar, year=year)
            messages.success(request, _("The holiday list of %(year)d is confirmed.") % {"year": year})
        else:
            count = services.calendar_seed_year(actor=request.user, calendar=calendar, year=year)
            messages.success(request, _("%(count)d days of %(year)d seeded from chinese-calendar.")
                             % {"count": count, "year": year})
    except DomainError as error:
        add_domain_error(form, error)
        return _detail(request, calendar, year_form=form, status=error.status)
    return redirect(_detail_url(calendar))


def _detail_url(calendar: BusinessCalendar) -> str:
    return reverse("ui:calendar_detail", kwargs={"calendar_id": calendar.pk})
