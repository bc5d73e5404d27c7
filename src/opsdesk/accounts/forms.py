"""Sign-in and API-token forms. The services decide; these only parse."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class SignInForm(forms.Form):
    username = forms.CharField(label=_("Username"), max_length=150,
                               widget=forms.TextInput(attrs={"autocomplete": "username", "autofocus": True}))
    password = forms.CharField(label=_("Password"), strip=False,
                               widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}))


class TokenForm(forms.Form):
    name = forms.CharField(label=_("Token name"), max_length=80,
                           help_text=_("What the token is for, e.g. “monitoring bridge”."))


class StaffLevelForm(forms.Form):
    """A new staff level and its first cost rate."""

    code = forms.CharField(label=_("Code"), max_length=40, help_text=_("Letters, digits, hyphens, e.g. “senior”."))
    name = forms.CharField(label=_("Name"), max_length=80)
    name_en = forms.CharField(label=_("English name"), max_length=80, required=False)
    rank = forms.IntegerField(label=_("Order"), min_value=0, max_value=999, initial=0, required=False)
    hourly_rate = forms.DecimalField(label=_("Cost per hour (CNY)"), min_value=0, max_digits=10, decimal_places=2)
    effective_from = forms.DateField(label=_("Effective from"), widget=forms.DateInput(attrs={"type": "date"}))


class StaffLevelRateForm(forms.Form):
    """A new cost rate of a level from a date on (earlier work keeps the earlier rate)."""

    hourly_rate = forms.DecimalField(label=_("Cost per hour (CNY)"), min_value=0, max_digits=10, decimal_places=2)
    effective_from = forms.DateField(label=_("Effective from"), widget=forms.DateInput(attrs={"type": "date"}))


class UserStaffLevelForm(forms.Form):
    user = forms.ModelChoiceField(label=_("Person"), queryset=None)  # type: ignore[arg-type]
    level = forms.ModelChoiceField(label=_("Staff level"), queryset=None, required=False,  # type: ignore[arg-type]
                                   empty_label=_("No staff level"))
    effective_from = forms.DateField(label=_("Effective from"), required=False,
                                     widget=forms.DateInput(attrs={"type": "date"}),
                                     help_text=_("Empty: from today. Work before this date keeps the earlier level."))

    def __init__(self, *args: object, users: object, levels: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["user"].queryset = users  # type: ignore[attr-defined]
        self.fields["user"].label_from_instance = lambda u: f"{u} ({u.username})"  # type: ignore[attr-defined]
        self.fields["level"].queryset = levels  # type: ignore[attr-defined]
