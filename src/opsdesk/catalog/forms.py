"""Forms of the catalogue administration. They parse and check types; the services decide what is valid."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django import forms
from django.db.models import Model
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from opsdesk.accounts import selectors as account_selectors
from opsdesk.accounts.models import Organisation, SupportGroup
from opsdesk.incidents.choices import Impact, Priority, Urgency
from opsdesk.sla.models import ServiceLevelAgreement
from opsdesk.sla.selectors import agreement_list
from opsdesk.ui.naming import localized_name

from . import selectors
from .models import ApplicationNode, Category, RoutingRule, Service, ServiceKind
from .services import matrix_field

INDENT = "\u2003"  # an em space per level of depth in tree pickers


class RecordChoiceField(forms.ChoiceField):
    """A choice among records, in an order and with labels the form decides (e.g. a tree with indents);
    cleans to the record (or None when not required and left empty)."""

    def __init__(self, *, model: type[Model], empty_label: Any, **kwargs: Any) -> None:
        self.model = model
        self.empty_label = empty_label
        super().__init__(choices=[("", empty_label)], **kwargs)

    def set_records(self, records: Iterable[tuple[Model, str]]) -> None:
        self.choices = [("", self.empty_label), *[(str(record.pk), label) for record, label in records]]

    def clean(self, value: Any) -> Model | None:
        value = super().clean(value)
        if value in ("", None):
            return None
        return self.model._default_manager.get(pk=int(value))

    def prepare_value(self, value: Any) -> Any:
        return getattr(value, "pk", value)


def _node_records(*, exclude: ApplicationNode | None = None) -> list[tuple[ApplicationNode, str]]:
    return [(node, INDENT * depth + f"{localized_name(node)} · {node.get_level_display()}")
            for node, depth in selectors.application_node_choices(active_only=True)
            if exclude is None or node.pk != exclude.pk]


def _group_field(label: Any, required: bool = False) -> forms.ModelChoiceField:
    field = forms.ModelChoiceField(queryset=account_selectors.group_list(user=None), label=label, required=required,
                                   empty_label=_("Choose a group…") if required else _("None"))
    field.label_from_instance = localized_name
    return field


def _organisation_field(label: Any, empty_label: Any) -> forms.ModelChoiceField:
    field = forms.ModelChoiceField(queryset=Organisation.objects.order_by("path"), label=label, required=False,
                                   empty_label=empty_label)
    field.label_from_instance = lambda org: INDENT * max(org.depth, 0) + localized_name(org)
    return field


# The application catalogue ---------------------------------------------------------------------


class ApplicationNodeForm(forms.Form):
    parent = RecordChoiceField(model=ApplicationNode, label=_("Parent"), required=False,
                               empty_label=_("None: this is a system"),
                               help_text=_("The level follows from the parent: system → subsystem → platform → "
                                           "module."))
    code = forms.CharField(label=_("Code"), max_length=60, help_text=_("Letters, digits, hyphens and underscores; "
                                                                       "unique in the catalogue."))
    name = forms.CharField(label=pgettext_lazy("catalogue entry", "Name"), max_length=120)
    name_en = forms.CharField(label=_("English name"), max_length=120, required=False)
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    owner_group = _group_field(_("Owner group"))
    organisation = _organisation_field(_("Organisation"), _("The whole group"))

    def __init__(self, *args: Any, node: ApplicationNode | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["parent"].set_records(_node_records(exclude=node))
        self.fields["owner_group"].queryset = account_selectors.group_list(user=None)

    @classmethod
    def for_node(cls, node: ApplicationNode) -> ApplicationNodeForm:
        return cls(node=node, initial={
            "parent": node.parent_id, "code": node.code, "name": node.name, "name_en": node.name_en,
            "description": node.description, "owner_group": node.owner_group_id,
            "organisation": node.organisation_id})


class DeactivateForm(forms.Form):
    cascade = forms.BooleanField(label=_("Also deactivate everything below it"), required=False)


# Service products ------------------------------------------------------------------------------


def _agreement_records(current: ServiceLevelAgreement | None) -> list[tuple[ServiceLevelAgreement, str]]:
    """The active agreements, and the service's current one even if it is no longer active."""
    agreements = list(agreement_list(active_only=True))
    if current is not None and all(a.pk != current.pk for a in agreements):
        agreements.append(current)
    return [(agreement, localized_name(agreement)) for agreement in agreements]


class ServiceForm(forms.Form):
    code = forms.CharField(label=_("Code"), max_length=40, help_text=_("Letters, digits, hyphens and underscores; "
                                                                       "unique."))
    name = forms.CharField(label=pgettext_lazy("catalogue entry", "Name"), max_length=120)
    name_en = forms.CharField(label=_("English name"), max_length=120, required=False)
    kind = forms.ChoiceField(label=_("Kind"), choices=ServiceKind.choices, initial=ServiceKind.OTHER)
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    application = RecordChoiceField(model=ApplicationNode, label=_("Offered on"), required=False,
                                    empty_label=_("Not on the application catalogue"),
                                    help_text=_("The node of the application catalogue this service is offered on."))
    owner_group = _group_field(_("Owner group"))
    sla = RecordChoiceField(model=ServiceLevelAgreement, label=_("Service level agreement"), required=False,
                            empty_label=_("None"), help_text=_("The response and resolution targets its incidents "
                                                               "are measured against."))
    is_active = forms.BooleanField(label=_("Active (offered to requesters)"), required=False, initial=True)

    def __init__(self, *args: Any, agreement: ServiceLevelAgreement | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["application"].set_records(_node_records())
        self.fields["owner_group"].queryset = account_selectors.group_list(user=None)
        self.fields["sla"].set_records(_agreement_records(agreement))

    @classmethod
    def for_service(cls, service: Service, agreement: ServiceLevelAgreement | None = None) -> ServiceForm:
        return cls(agreement=agreement, initial={
            "code": service.code, "name": service.name, "name_en": service.name_en, "kind": service.kind,
            "description": service.description, "application": service.application_id,
            "owner_group": service.owner_group_id, "is_active": service.is_active,
            "sla": getattr(agreement, "pk", None)})

    def service_arguments(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data["agreement"] = data.pop("sla")
        return data


class CategoryForm(forms.Form):
    parent = RecordChoiceField(model=Category, label=_("Under"), required=False, empty_label=_("Top level"))
    code = forms.CharField(label=_("Code"), max_length=40)
    name = forms.CharField(label=pgettext_lazy("catalogue entry", "Name"), max_length=120)
    name_en = forms.CharField(label=_("English name"), max_length=120, required=False)

    def __init__(self, *args: Any, service: Service, category: Category | None = None,
                 rows: list[selectors.CategoryNode] | None = None, **kwargs: Any) -> None:
        """``rows``: the service's active category rows, when the caller already has them (a page of forms)."""
        super().__init__(*args, **kwargs)
        if rows is None:
            rows = selectors.category_tree_rows(service=service, active_only=True)
        self.fields["parent"].set_records(
            (row.category, INDENT * row.depth + localized_name(row.category)) for row in rows
            if category is None or row.category.pk != category.pk)

    @classmethod
    def for_category(cls, category: Category, prefix: str,
                     rows: list[selectors.CategoryNode] | None = None) -> CategoryForm:
        return cls(service=category.service, category=category, prefix=prefix, rows=rows, initial={
            "parent": category.parent_id, "code": category.code, "name": category.name, "name_en": category.name_en})


# Routing rules and the priority matrix ---------------------------------------------------------


@dataclass(frozen=True)
class RoutingChoices:
    """What a routing rule's selects offer, read once for a page with many rule forms."""

    services: list[tuple[Service, str]]
    categories: list[tuple[Category, str]]
    organisations: list[tuple[Organisation, str]]
    groups: list[tuple[SupportGroup, str]]

    @classmethod
    def read(cls) -> RoutingChoices:
        services, categories = [], []
        for service, rows in selectors.category_rows_by_service():
            services.append((service, localized_name(service)))
            categories += [(row.category, f"{localized_name(service)} / " + INDENT * row.depth
                            + localized_name(row.category)) for row in rows]
        organisations = [(org, INDENT * max(org.depth, 0) + localized_name(org))
                         for org in Organisation.objects.order_by("path")]
        groups = [(group, localized_name(group)) for group in account_selectors.group_list(user=None)]
        return cls(services, categories, organisations, groups)


class RoutingRuleForm(forms.Form):
    service = RecordChoiceField(model=Service, label=_("Service"), empty_label=_("Choose a service…"))
    category = RecordChoiceField(model=Category, label=_("Category"), required=False,
                                 empty_label=_("Any category of the service"))
    organisation = RecordChoiceField(model=Organisation, label=_("Organisation"), required=False,
                                     empty_label=_("Every organisation"))
    group = RecordChoiceField(model=SupportGroup, label=_("Group"), empty_label=_("Choose a group…"))
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(self, *args: Any, choices: RoutingChoices | None = None, **kwargs: Any) -> None:
        """``choices``: ``RoutingChoices.read()`` when the caller already has them (a page of forms)."""
        super().__init__(*args, **kwargs)
        choices = choices or RoutingChoices.read()
        self.fields["service"].set_records(choices.services)
        self.fields["category"].set_records(choices.categories)
        self.fields["organisation"].set_records(choices.organisations)
        self.fields["group"].set_records(choices.groups)

    @classmethod
    def for_rule(cls, rule: RoutingRule, prefix: str, choices: RoutingChoices | None = None) -> RoutingRuleForm:
        return cls(prefix=prefix, choices=choices, initial={"service": rule.service_id, "category": rule.category_id,
                                                            "organisation": rule.organisation_id,
                                                            "group": rule.group_id, "is_active": rule.is_active})


class PriorityMatrixForm(forms.Form):
    """One select per impact × urgency cell, named ``cell_<impact>_<urgency>``."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for impact in Impact:
            for urgency in Urgency:
                self.fields[matrix_field(impact, urgency)] = forms.TypedChoiceField(
                    label=_("Impact %(impact)s × urgency %(urgency)s") % {"impact": impact.label,
                                                                        "urgency": urgency.label},
                    choices=Priority.choices, coerce=int)

    @classmethod
    def for_matrix(cls, matrix: dict[tuple[int, int], int]) -> PriorityMatrixForm:
        return cls(initial={matrix_field(i, u): p for (i, u), p in matrix.items()})

    def cells(self) -> dict[tuple[int, int], int]:
        return {(int(impact), int(urgency)): self.cleaned_data[matrix_field(impact, urgency)]
                for impact in Impact for urgency in Urgency}

    def rows(self) -> list[tuple[Any, list[forms.BoundField]]]:
        return [(impact.label, [self[matrix_field(impact, urgency)] for urgency in Urgency]) for impact in Impact]
