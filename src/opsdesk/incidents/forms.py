"""Forms of the incident UI. They parse and check types; the services decide what is allowed."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from opsdesk.accounts import selectors as account_selectors
from opsdesk.accounts.models import SupportGroup, User
from opsdesk.catalog import selectors as catalog_selectors
from opsdesk.catalog.models import Category, Service
from opsdesk.ui.naming import localized_name

from .choices import CauseCode, Channel, Impact, IncidentState, PendingReason, Priority, Urgency
from .selectors import IncidentFilter

DATETIME_LOCAL = "%Y-%m-%dT%H:%M"
RATING_CHOICES = [(n, str(n)) for n in range(5, 0, -1)]
RECORD_CHANNELS = [(c.value, c.label) for c in (Channel.PHONE, Channel.EMAIL, Channel.MONITORING, Channel.INSPECTION,
                                                Channel.PORTAL)]


# Field types --------------------------------------------------------------------------------------


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input; the services check each one's type and size."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[UploadedFile]:
        single = super().clean
        if isinstance(data, (list, tuple)):
            return [single(item, initial) for item in data if item]
        return [single(data, initial)] if data else []


class IdListField(forms.Field):
    """Several record ids chosen in a picker (``<select multiple>``); the service checks each one exists."""

    widget = forms.SelectMultiple

    def to_python(self, value: Any) -> list[int]:
        if not value:
            return []
        items = value if isinstance(value, (list, tuple)) else [value]
        ids: list[int] = []
        for item in items:
            text = str(item).strip()
            if not text:
                continue
            if not text.isdigit():
                raise forms.ValidationError(_("Choose from the list."), code="invalid")
            if int(text) not in ids:
                ids.append(int(text))
        return ids


class NamedChoiceField(forms.ModelChoiceField):
    """Shows organisations, groups and catalogue entries in the reader's language."""

    def label_from_instance(self, obj: Any) -> str:
        if isinstance(obj, Category):
            return obj.full_name if obj.parent_id else localized_name(obj)
        if isinstance(obj, User):
            org = localized_name(obj.organisation) if obj.organisation_id else ""
            return f"{obj} ({obj.username}{' · ' + org if org else ''})"
        return localized_name(obj)


def datetime_field(label: Any, required: bool = False) -> forms.DateTimeField:
    return forms.DateTimeField(
        label=label, required=required, input_formats=[DATETIME_LOCAL, "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_LOCAL),
    )


def _service_field() -> NamedChoiceField:
    return NamedChoiceField(queryset=catalog_selectors.service_list(), label=_("Affected service"),
                            empty_label=_("Choose a service…"))


def _category_field() -> NamedChoiceField:
    return NamedChoiceField(queryset=Category.objects.none(), label=_("Category"), required=False,
                            empty_label=_("Not sure / let the desk classify"))


def _group_field(required: bool = True, label: Any = None) -> NamedChoiceField:
    return NamedChoiceField(queryset=account_selectors.group_list(user=None), label=label or _("Group"),
                            required=required, empty_label=_("Choose a group…"))


def _assignee_field() -> NamedChoiceField:
    return NamedChoiceField(queryset=User.objects.none(), label=_("Assignee"), required=False,
                            empty_label=_("Anyone in the group (its rule decides)"))


def _bound_id(form: forms.Form, name: str) -> str:
    """The id the user chose for ``name`` (bound data first, then the initial value)."""
    if form.is_bound:
        return str(form.data.get(form.add_prefix(name)) or "")
    value = form.initial.get(name)
    return str(getattr(value, "pk", value) or "")


def limit_categories(form: forms.Form) -> None:
    service_id = _bound_id(form, "service")
    form.fields["category"].queryset = (
        catalog_selectors.category_list(service_id=int(service_id)) if service_id.isdigit() else Category.objects.none()
    )


def limit_assignees(form: forms.Form, group_field: str = "group") -> None:
    group_id = _bound_id(form, group_field)
    form.fields["assignee"].queryset = (
        account_selectors.user_list(user=None).filter(group_memberships__group_id=int(group_id))
        if group_id.isdigit() else User.objects.none()
    )


# Reporting and recording ------------------------------------------------------------------------


class ReportForm(forms.Form):
    """The requester's portal form."""

    service = _service_field()
    category = _category_field()
    title = forms.CharField(label=_("Title"), max_length=200,
                            help_text=_("In a few words: what does not work?"))
    description = forms.CharField(label=_("Description"), widget=forms.Textarea(attrs={"rows": 5}),
                                  help_text=_("What happened, what you expected, any error message."))
    occurred_at = datetime_field(_("When did it start?"))
    urgency = forms.TypedChoiceField(label=_("Urgency"), choices=Urgency.choices, coerce=int, initial=Urgency.MEDIUM)
    contact_name = forms.CharField(label=_("Contact name"), max_length=120, required=False)
    contact_phone = forms.CharField(label=_("Contact phone"), max_length=40, required=False)
    contact_email = forms.EmailField(label=_("Contact email"), required=False)
    attachments = MultipleFileField(label=_("Attachments"),
                                    help_text=_("Screenshots, logs or documents; you can choose several files."))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        limit_categories(self)

    def service_arguments(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {name: data[name] for name in (
            "service", "category", "title", "description", "occurred_at", "urgency",
            "contact_name", "contact_phone", "contact_email", "attachments")}


class RecordForm(ReportForm):
    """The desk's form: an incident recorded on a caller's behalf."""

    requester = NamedChoiceField(queryset=User.objects.none(), label=_("Caller (requester)"),
                                 empty_label=_("Choose the caller…"))
    channel = forms.ChoiceField(label=_("Channel"), choices=RECORD_CHANNELS, initial=Channel.PHONE)
    impact = forms.TypedChoiceField(label=_("Impact"), choices=Impact.choices, coerce=int, initial=Impact.LOW)
    priority = forms.TypedChoiceField(
        label=_("Priority"), coerce=int, required=False, empty_value=None,
        choices=[("", _("As computed from impact × urgency")), *Priority.choices],
    )
    priority_reason = forms.CharField(label=_("Reason for another priority"), max_length=300, required=False)
    group = _group_field(required=False, label=_("Dispatch to group"))
    assignee = _assignee_field()
    cis = IdListField(label=_("Affected CIs"), required=False,
                      help_text=_("Search, then choose one or more CIs (Ctrl or ⌘ to choose several)."))

    field_order = ["requester", "channel", "service", "category", "title", "description", "occurred_at",
                   "contact_name", "contact_phone", "contact_email", "impact", "urgency", "priority",
                   "priority_reason", "group", "assignee", "cis", "attachments"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["requester"].queryset = account_selectors.user_list(user=None)
        self.fields["group"].empty_label = _("Route by the category's rule")
        self.fields["contact_name"].help_text = _("Leave empty to use the caller's details.")
        limit_assignees(self)

    def service_arguments(self) -> dict[str, Any]:
        data = self.cleaned_data
        arguments = super().service_arguments()
        arguments.update({name: data[name] for name in (
            "requester", "channel", "impact", "priority", "priority_reason", "group", "assignee")})
        return arguments


class EditForm(forms.Form):
    """Classification, priority, contact details and text of an open record."""

    version = forms.IntegerField(widget=forms.HiddenInput)
    title = forms.CharField(label=_("Title"), max_length=200)
    description = forms.CharField(label=_("Description"), widget=forms.Textarea(attrs={"rows": 4}))
    service = _service_field()
    category = _category_field()
    impact = forms.TypedChoiceField(label=_("Impact"), choices=Impact.choices, coerce=int)
    urgency = forms.TypedChoiceField(label=_("Urgency"), choices=Urgency.choices, coerce=int)
    priority = forms.TypedChoiceField(
        label=_("Priority"), coerce=int, required=False, empty_value=None,
        choices=[("", _("As computed from impact × urgency")), *Priority.choices],
    )
    priority_reason = forms.CharField(label=_("Reason for another priority"), max_length=300, required=False)
    contact_name = forms.CharField(label=_("Contact name"), max_length=120, required=False)
    contact_phone = forms.CharField(label=_("Contact phone"), max_length=40, required=False)
    contact_email = forms.EmailField(label=_("Contact email"), required=False)
    occurred_at = datetime_field(_("Occurred at"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        limit_categories(self)

    @classmethod
    def for_incident(cls, incident: Any, **kwargs: Any) -> EditForm:
        initial = {name: getattr(incident, name) for name in (
            "version", "title", "description", "service", "category", "impact", "urgency", "priority_reason",
            "contact_name", "contact_phone", "contact_email", "occurred_at")}
        initial["priority"] = incident.priority if incident.priority_overridden else ""
        return cls(initial=initial, prefix="edit", **kwargs)

    def service_arguments(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data.pop("version")
        if data["priority"] is None:
            data["priority"] = ""
            data["priority_reason"] = ""
        return data


# Transitions --------------------------------------------------------------------------------------


class TransitionForm(forms.Form):
    """Each transition's inputs; ``version`` guards against acting on a stale view."""

    uses_version = True
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def inputs(self) -> dict[str, Any]:
        return {name: value for name, value in self.cleaned_data.items() if name != "version"}


def _reason(label: Any = None, required: bool = True) -> forms.CharField:
    return forms.CharField(label=label or _("Reason"), required=required, max_length=2000,
                           widget=forms.Textarea(attrs={"rows": 3}))


class AssignForm(TransitionForm):
    group = _group_field()
    assignee = _assignee_field()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        limit_assignees(self)


class AcceptForm(TransitionForm):
    pass


class PendForm(TransitionForm):
    pending_reason = forms.ChoiceField(label=_("Waiting for"), choices=PendingReason.choices,
                                       initial=PendingReason.CUSTOMER, widget=forms.RadioSelect)
    vendor = forms.CharField(label=_("Vendor"), max_length=120, required=False,
                             help_text=_("Required when waiting for a vendor."))
    reason = _reason()


class ResumeForm(TransitionForm):
    pass


class EscalateForm(TransitionForm):
    group = _group_field(label=_("Escalate to group"))
    assignee = _assignee_field()
    reason = _reason()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["group"].queryset = account_selectors.group_list(user=None).exclude(line="desk")
        limit_assignees(self)


class ReturnForm(TransitionForm):
    reason = _reason()


class ResolveForm(TransitionForm):
    resolution = forms.CharField(label=_("Resolution"), widget=forms.Textarea(attrs={"rows": 4}),
                                 help_text=_("What was done to restore the service; the requester reads this."))
    cause_code = forms.ChoiceField(label=_("Cause code"), choices=[("", "—"), *CauseCode.choices], required=False)


class ConfirmForm(TransitionForm):
    rating = forms.TypedChoiceField(label=_("How satisfied are you?"), choices=RATING_CHOICES, coerce=int,
                                    widget=forms.RadioSelect)
    comment = forms.CharField(label=_("Comment"), required=False, max_length=2000,
                              widget=forms.Textarea(attrs={"rows": 2}))


class RejectForm(TransitionForm):
    reason = _reason(_("What is still wrong?"))


class CloseForm(TransitionForm):
    pass


class ReopenForm(TransitionForm):
    reason = _reason()


class ChaseForm(TransitionForm):
    uses_version = False
    comment = forms.CharField(label=_("Message to the handler"), required=False, max_length=1000,
                              widget=forms.Textarea(attrs={"rows": 2}))


class CancelForm(TransitionForm):
    reason = _reason()


TRANSITION_FORMS: dict[str, type[TransitionForm]] = {
    "assign": AssignForm, "accept": AcceptForm, "pend": PendForm, "resume": ResumeForm, "escalate": EscalateForm,
    "return": ReturnForm, "resolve": ResolveForm, "confirm": ConfirmForm, "reject": RejectForm, "close": CloseForm,
    "reopen": ReopenForm, "chase": ChaseForm, "cancel": CancelForm,
}


def transition_form(name: str, incident: Any, data: Any = None) -> TransitionForm:
    form_class = TRANSITION_FORMS[name]
    initial: dict[str, Any] = {"version": incident.version}
    if name == "assign" and incident.assigned_group_id:
        initial["group"] = incident.assigned_group_id
    return form_class(data, initial=initial, prefix=name)


# The rest of the record page ----------------------------------------------------------------------


class WorkLogForm(forms.Form):
    minutes = forms.IntegerField(label=_("Time spent (minutes)"), min_value=1, max_value=24 * 60, initial=30)
    note = forms.CharField(label=_("What was done"), widget=forms.Textarea(attrs={"rows": 3}))


class CommentForm(forms.Form):
    body = forms.CharField(label=pgettext_lazy("noun", "Comment"), widget=forms.Textarea(attrs={"rows": 3}))
    internal = forms.BooleanField(label=_("Internal (staff only)"), required=False)


class AttachForm(forms.Form):
    attachments = forms.FileField(label=_("File"))


class FlagMajorForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    owner = NamedChoiceField(queryset=User.objects.none(), label=_("Owner"), required=False,
                             empty_label=_("Me"))
    reason = forms.CharField(label=_("Why is it major?"), max_length=300, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = account_selectors.user_list(user=None).filter(
            role_assignments__role__in=["incident_manager", "administrator"]).distinct()


class LinkChildForm(forms.Form):
    child = forms.CharField(label=_("Incident number"), max_length=32,
                            widget=forms.TextInput(attrs={"placeholder": "INC…"}))

    def clean_child(self) -> str:
        return self.cleaned_data["child"].strip().upper()


class MajorUpdateForm(forms.Form):
    body = forms.CharField(label=_("Update for everyone affected"), widget=forms.Textarea(attrs={"rows": 3}))


class CallbackForm(forms.Form):
    rating = forms.TypedChoiceField(label=_("Rating given on the call"), choices=RATING_CHOICES, coerce=int,
                                    widget=forms.RadioSelect)
    comment = forms.CharField(label=_("What the caller said"), required=False, max_length=2000,
                              widget=forms.Textarea(attrs={"rows": 2}))


# The queue's filters ------------------------------------------------------------------------------

QUEUES = {
    "mine": _("Assigned to me"),
    "my_groups": _("My groups"),
    "unassigned": _("Unassigned in my groups"),
    "undispatched": _("Not yet dispatched"),
    "major": _("Major incidents"),
    "": _("All I can see"),
}
OPEN = "open"
ACTIVE = "active"


class QueueFilterForm(forms.Form):
    queue = forms.ChoiceField(choices=list(QUEUES.items()), required=False, widget=forms.HiddenInput)
    q = forms.CharField(label=_("Search"), required=False, max_length=100,
                        widget=forms.TextInput(attrs={"placeholder": _("Number or keywords"), "type": "search"}))
    state = forms.ChoiceField(label=_("State"), required=False, choices=[
        (OPEN, _("Open")), (ACTIVE, _("Open or resolved")), ("", _("Any state")), *IncidentState.choices])
    priority = forms.TypedChoiceField(label=_("Priority"), required=False, coerce=int, empty_value=None,
                                      choices=[("", _("Any priority")), *Priority.choices])
    service = NamedChoiceField(queryset=Service.objects.none(), label=_("Service"), required=False,
                               empty_label=_("Any service"))
    group = NamedChoiceField(queryset=SupportGroup.objects.none(), label=_("Group"), required=False,
                             empty_label=_("Any group"))
    sort = forms.ChoiceField(choices=[("", _("Newest first")), ("due", _("SLA due time"))], required=False,
                             widget=forms.HiddenInput)

    def __init__(self, data: Any, *args: Any, **kwargs: Any) -> None:
        data = data.copy()
        if "state" not in data:
            data["state"] = OPEN if data.get("queue", "") not in ("", "major") else ""
        super().__init__(data, *args, **kwargs)
        self.fields["service"].queryset = catalog_selectors.service_list(active_only=False)
        self.fields["group"].queryset = account_selectors.group_list(user=None)

    def to_filter(self) -> IncidentFilter:
        data = self.cleaned_data if self.is_valid() else {}
        queue = data.get("queue") or ""
        state = data.get("state") or ""
        states = {OPEN: ["new", "assigned", "in_progress", "pending"],
                  ACTIVE: ["new", "assigned", "in_progress", "pending", "resolved"]}.get(state, [state] if state else None)
        return IncidentFilter(
            queue="" if queue == "major" else queue,
            is_major=True if queue == "major" else None,
            state=states,
            priority=[data["priority"]] if data.get("priority") else None,
            service=data["service"].pk if data.get("service") else None,
            group=data["group"].pk if data.get("group") else None,
            q=data.get("q") or "",
        )
