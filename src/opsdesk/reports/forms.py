"""The reports' selector bar: grouping, months, service, organisation, group. It only parses."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from opsdesk.accounts.models import Organisation, SupportGroup, User
from opsdesk.catalog.models import Service
from opsdesk.core.errors import ValidationFailed
from opsdesk.ui.naming import localized_name

from . import selectors
from .periods import Period, period_of


class NamedChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return localized_name(obj)


class ReportForm(forms.Form):
    group_by = forms.ChoiceField(label=_("Rows"), required=False)
    month_from = forms.CharField(label=_("From month"), required=False, max_length=7,
                                 widget=forms.TextInput(attrs={"type": "month", "placeholder": "2026-10"}))
    month_to = forms.CharField(label=_("To month"), required=False, max_length=7,
                               widget=forms.TextInput(attrs={"type": "month", "placeholder": "2026-11"}))
    service = NamedChoiceField(queryset=Service.objects.none(), label=_("Service"), required=False,
                               empty_label=_("Any service"))
    organisation = NamedChoiceField(queryset=Organisation.objects.none(), label=_("Organisation"), required=False,
                                    empty_label=_("Any organisation"))
    group = NamedChoiceField(queryset=SupportGroup.objects.none(), label=_("Group"), required=False,
                             empty_label=_("Any group"))

    def __init__(self, data: Any, *, user: User, group_by_choices: dict[str, Any], **kwargs: Any) -> None:
        super().__init__(data, **kwargs)
        self.user = user
        self.fields["group_by"].choices = list(group_by_choices.items())
        self.fields["service"].queryset = Service.objects.order_by("name")
        self.fields["organisation"].queryset = Organisation.objects.order_by("path")
        self.fields["group"].queryset = SupportGroup.objects.select_related("organisation")

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        try:
            data["period"] = period_of(user=self.user, month_from=data.get("month_from"), month_to=data.get("month_to"))
        except ValidationFailed as error:
            for field, messages in error.field_errors.items():
                for message in messages:
                    self.add_error(field, message)
        return data

    @property
    def grouping(self) -> str:
        return (self.cleaned_data.get("group_by") if self.is_valid() else "") or "service"

    def to_filter(self) -> selectors.ReportFilter:
        data = self.cleaned_data if self.is_valid() else {}
        period: Period = data.get("period") or period_of(user=self.user)
        return selectors.ReportFilter(
            period=period,
            service=data["service"].pk if data.get("service") else None,
            organisation=data["organisation"].pk if data.get("organisation") else None,
            group=data["group"].pk if data.get("group") else None,
        )
