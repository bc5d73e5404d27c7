"""Forms of the calendar pages. They parse and check types; the services decide what is valid."""

from __future__ import annotations

from datetime import time
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from opsdesk.accounts.models import Organisation
from opsdesk.ui.naming import localized_name

from .models import BusinessCalendar, CalendarDayKind, HolidayRegion, Weekday
from .services import format_hours, parse_hours

HOURS_HELP = _("Periods like 08:30-12:00, 13:30-17:30; leave empty for a day off.")


class OrganisationField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return localized_name(obj)


def weekly_field_name(weekday: int) -> str:
    return f"weekly_{weekday}"


class CalendarForm(forms.Form):
    """A calendar and its weekly hours: one text field per weekday."""

    code = forms.CharField(label=_("Code"), max_length=60)
    name = forms.CharField(label=_("Name"), max_length=120)
    name_en = forms.CharField(label=_("English name"), max_length=120, required=False)
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    organisation = OrganisationField(
        queryset=Organisation.objects.all(), label=_("Organisation"), required=False,
        empty_label=_("None (used by organisations through the default)"),
        help_text=_("Organisations without a calendar of their own use their parent's, else the default calendar."),
    )
    time_zone = forms.CharField(label=_("Time zone"), max_length=60, initial="Asia/Shanghai")
    always_open = forms.BooleanField(label=_("Always open (7×24)"), required=False)
    is_default = forms.BooleanField(label=_("Default calendar"), required=False)
    holiday_region = forms.ChoiceField(label=_("Public holidays"), choices=HolidayRegion.choices, required=False,
                                       initial=HolidayRegion.CN)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, calendar: BusinessCalendar | None = None, **kwargs: Any) -> None:
        if calendar is not None and "initial" not in kwargs:
            weekly: dict[int, list[tuple[time, time]]] = {}
            for period in calendar.periods.all():
                weekly.setdefault(period.weekday, []).append((period.start, period.end))
            kwargs["initial"] = {
                "code": calendar.code, "name": calendar.name, "name_en": calendar.name_en,
                "description": calendar.description, "organisation": calendar.organisation_id,
                "time_zone": calendar.time_zone, "always_open": calendar.always_open,
                "is_default": calendar.is_default, "holiday_region": calendar.holiday_region,
                "version": calendar.version,
                **{weekly_field_name(day): format_hours(weekly.get(day, [])) for day in range(7)},
            }
        elif calendar is None and "initial" not in kwargs:
            standard = "08:30-12:00, 13:30-17:30"
            kwargs["initial"] = {weekly_field_name(day): standard for day in range(5)}
        super().__init__(*args, **kwargs)
        for weekday in Weekday:
            self.fields[weekly_field_name(weekday.value)] = forms.CharField(
                label=weekday.label, required=False, help_text=HOURS_HELP if weekday.value == 0 else "",
                widget=forms.TextInput(attrs={"placeholder": "08:30-12:00, 13:30-17:30"}),
            )
        if calendar is not None:
            self.fields["code"].disabled = True

    def weekly_fields(self) -> list[forms.BoundField]:
        return [self[weekly_field_name(day)] for day in range(7)]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        weekly: dict[int, list[tuple[time, time]]] = {}
        for weekday in range(7):
            name = weekly_field_name(weekday)
            try:
                weekly[weekday] = parse_hours(data.get(name) or "")
            except ValueError as error:
                self.add_error(name, str(error))
        data["weekly"] = weekly
        return data

    def service_arguments(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "name": data["name"], "name_en": data["name_en"], "description": data["description"],
            "organisation": data["organisation"], "time_zone": data["time_zone"],
            "always_open": data["always_open"], "is_default": data["is_default"],
            "holiday_region": data["holiday_region"] or "", "weekly": data["weekly"],
        }


class DayForm(forms.Form):
    """Mark one date a holiday or a make-up working day."""

    date = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}),
                           input_formats=["%Y-%m-%d"])
    kind = forms.ChoiceField(label=_("Kind"), choices=CalendarDayKind.choices)
    name = forms.CharField(label=_("Holiday name"), max_length=120, required=False,
                           help_text=_("For a make-up day, the holiday it belongs to."))
    name_en = forms.CharField(label=_("Holiday name in English"), max_length=120, required=False)


class YearForm(forms.Form):
    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100)
