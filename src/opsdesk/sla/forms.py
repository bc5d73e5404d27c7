"""Forms of the SLA admin pages. They parse and check types; the services decide what is valid."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from opsdesk.accounts.models import SupportGroup
from opsdesk.calendars.models import BusinessCalendar
from opsdesk.catalog.models import Service
from opsdesk.incidents.choices import Priority

from .models import ServiceLevelAgreement

THRESHOLD_ROWS = 4


class AgreementForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    name_en = forms.CharField(label=_("English name"), max_length=120, required=False)
    code = forms.SlugField(label=_("Code"), max_length=60)
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    calendar = forms.ModelChoiceField(queryset=BusinessCalendar.objects.all(), label=_("Business calendar"),
                                      required=False, empty_label=_("The organisation's calendar"))
    pause_on_customer = forms.BooleanField(label=_("Pause while pending on the customer"), required=False)
    pause_on_vendor = forms.BooleanField(label=_("Pause while pending on a vendor"), required=False)
    is_active = forms.BooleanField(label=_("Active"), required=False)
    services = forms.ModelMultipleChoiceField(queryset=Service.objects.filter(is_active=True), required=False,
                                              label=_("Services offered under this agreement"),
                                              widget=forms.SelectMultiple(attrs={"size": 5}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for priority, label in Priority.choices:
            self.fields[f"response_{priority}"] = forms.IntegerField(
                label=_("Response (minutes)"), required=False, min_value=1,
                widget=forms.NumberInput(attrs={"aria-label": f"{label} · {_('Response (minutes)')}"}))
            self.fields[f"resolution_{priority}"] = forms.IntegerField(
                label=_("Resolution (minutes)"), required=False, min_value=1,
                widget=forms.NumberInput(attrs={"aria-label": f"{label} · {_('Resolution (minutes)')}"}))
        for row in range(THRESHOLD_ROWS):
            self.fields[f"threshold_{row}_percent"] = forms.IntegerField(
                label=_("Percent"), required=False, min_value=1, max_value=100)
            self.fields[f"threshold_{row}_assignee"] = forms.BooleanField(label=_("Handler"), required=False)
            self.fields[f"threshold_{row}_lead"] = forms.BooleanField(label=_("Group lead"), required=False)
            self.fields[f"threshold_{row}_managers"] = forms.BooleanField(label=_("Incident managers"), required=False)

    @classmethod
    def for_agreement(cls, agreement: ServiceLevelAgreement | None) -> AgreementForm:
        if agreement is None:
            initial: dict[str, Any] = {
                "pause_on_customer": True, "is_active": True,
                "threshold_0_percent": 50, "threshold_0_assignee": True,
                "threshold_1_percent": 80, "threshold_1_assignee": True, "threshold_1_lead": True,
                "threshold_2_percent": 100, "threshold_2_assignee": True, "threshold_2_lead": True,
                "threshold_2_managers": True,
            }
            return cls(initial=initial)
        initial = {name: getattr(agreement, name) for name in (
            "name", "name_en", "code", "description", "calendar", "pause_on_customer", "pause_on_vendor", "is_active")}
        initial["services"] = [link.service_id for link in agreement.service_links.all()]
        for target in agreement.targets.all():
            initial[f"response_{target.priority}"] = target.response_minutes
            initial[f"resolution_{target.priority}"] = target.resolution_minutes
        for row, threshold in enumerate(list(agreement.thresholds.all())[:THRESHOLD_ROWS]):
            initial.update({f"threshold_{row}_percent": threshold.percent,
                            f"threshold_{row}_assignee": threshold.notify_assignee,
                            f"threshold_{row}_lead": threshold.notify_group_lead,
                            f"threshold_{row}_managers": threshold.notify_managers})
        return cls(initial=initial)

    def priority_rows(self) -> list[tuple[Any, forms.BoundField, forms.BoundField]]:
        return [(label, self[f"response_{p}"], self[f"resolution_{p}"]) for p, label in Priority.choices]

    def threshold_rows(self) -> list[list[forms.BoundField]]:
        return [[self[f"threshold_{row}_{part}"] for part in ("percent", "assignee", "lead", "managers")]
                for row in range(THRESHOLD_ROWS)]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        for priority in Priority.values:
            response, resolution = data.get(f"response_{priority}"), data.get(f"resolution_{priority}")
            if (response is None) != (resolution is None) and not self.errors.get(f"response_{priority}") \
                    and not self.errors.get(f"resolution_{priority}"):
                missing = f"response_{priority}" if response is None else f"resolution_{priority}"
                self.add_error(missing, _("Give both targets of this priority, or neither."))
        return data

    def service_arguments(self) -> dict[str, Any]:
        data = self.cleaned_data
        targets = {p: (data[f"response_{p}"], data[f"resolution_{p}"]) for p in Priority.values
                   if data.get(f"response_{p}") is not None and data.get(f"resolution_{p}") is not None}
        thresholds = [{"percent": data[f"threshold_{row}_percent"],
                       "notify_assignee": data[f"threshold_{row}_assignee"],
                       "notify_group_lead": data[f"threshold_{row}_lead"],
                       "notify_managers": data[f"threshold_{row}_managers"]}
                      for row in range(THRESHOLD_ROWS) if data.get(f"threshold_{row}_percent") is not None]
        return {
            "name": data["name"], "name_en": data["name_en"], "code": data["code"], "description": data["description"],
            "calendar": data["calendar"], "pause_on_customer": data["pause_on_customer"],
            "pause_on_vendor": data["pause_on_vendor"], "is_active": data["is_active"], "targets": targets,
            "thresholds": thresholds, "services": list(data["services"]),
        }


class OperationalTargetForm(forms.Form):
    group = forms.ModelChoiceField(queryset=SupportGroup.objects.all(), label=_("Group"),
                                   empty_label=_("Choose a group…"))
    priority = forms.TypedChoiceField(label=_("Priority"), required=False, coerce=int, empty_value=None,
                                      choices=[("", _("Any priority")), *Priority.choices])
    target_minutes = forms.IntegerField(label=_("Target (business minutes)"), min_value=1)
    calendar = forms.ModelChoiceField(queryset=BusinessCalendar.objects.all(), label=_("Business calendar"),
                                      required=False, empty_label=_("The organisation's calendar"))
