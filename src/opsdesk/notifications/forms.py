"""The forms of the notification pages."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import NotificationKind


class PreferencesForm(forms.Form):
    email = forms.MultipleChoiceField(
        label=_("Email me about"), choices=NotificationKind.choices, required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": _("Choose from the listed kinds.")},
    )
