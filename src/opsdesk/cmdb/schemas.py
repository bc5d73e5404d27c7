"""What the CMDB API reads and writes. References are ids; dates ISO 8601."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from ninja import Schema
from pydantic import ConfigDict, Field

from .choices import CIState, RelationKind
from .models import AttributeDefinition, ConfigurationItem, Relation
from .selectors import ClassAttribute, Impact, RelationView


class InputSchema(Schema):
    model_config = ConfigDict(extra="forbid")


# Classes ---------------------------------------------------------------------------------------


class AttributeOut(Schema):
    id: int
    code: str
    name: str
    name_en: str
    type: str
    required: bool
    unique: bool
    choices: list[str]
    reference_class: str | None = Field(description="Code of the class a reference must point to.")
    ip_version: int
    min_value: Decimal | None
    max_value: Decimal | None
    regex: str
    help_text: str
    inherited: bool = Field(description="Defined on an ancestor class (see defined_on).")
    defined_on: str


def attribute_out(item: ClassAttribute) -> AttributeOut:
    d: AttributeDefinition = item.definition
    return AttributeOut(
        id=d.pk, code=d.code, name=d.name, name_en=d.name_en, type=d.type, required=d.required, unique=d.unique,
        choices=list(d.choices or []), reference_class=d.reference_class.code if d.reference_class_id else None,
        ip_version=d.ip_version, min_value=d.min_value, max_value=d.max_value, regex=d.regex, help_text=d.help_text,
        inherited=item.inherited, defined_on=item.defined_on.code,
    )


class CIClassOut(Schema):
    id: int
    code: str
    name: str
    name_en: str
    parent: str | None = Field(description="The parent class's code.")
    description: str
    icon: str
    is_maintained: bool
    is_active: bool
    attributes: list[AttributeOut]


class CIClassPage(Schema):
    items: list[CIClassOut]
    next_cursor: str | None = None


class CIClassIn(InputSchema):
    code: str
    name: str
    name_en: str = ""
    parent: str | None = Field(None, description="The parent class's code.")
    description: str = ""
    icon: str = ""
    is_maintained: bool | None = Field(None, description="Defaults to the parent's (true at the root).")


class AttributeIn(InputSchema):
    code: str
    name: str
    type: str = Field(description="text, number, date, choice, reference or ip.")
    name_en: str = ""
    required: bool = False
    unique: bool = False
    choices: list[str] = []
    reference_class: str | None = Field(None, description="For a reference: the code of the class it points to.")
    ip_version: int = Field(0, description="For an IP address: 0 (any), 4 or 6.")
    min_value: Decimal | None = None
    max_value: Decimal | None = None
    regex: str = ""
    help_text: str = ""
    order: int = 0


# CIs ---------------------------------------------------------------------------------------------


class Ref(Schema):
    id: int
    label: str


class CIOut(Schema):
    id: int
    name: str
    ci_class: str = Field(description="The class's code.")
    ci_class_name: str
    organisation: Ref
    state: str
    state_label: str
    attributes: dict[str, Any]
    description: str
    application: Ref | None
    services: list[Ref] | None = Field(None, description="On the detail only.")
    supplier: str
    contract_number: str
    purchase_date: dt.date | None
    acceptance_date: dt.date | None
    warranty_end: dt.date | None
    location: str
    custodian: Ref | None
    financial_category: str
    value: Decimal | None
    is_maintained: bool
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime


def ci_out(ci: ConfigurationItem, *, detail: bool = False) -> CIOut:
    return CIOut(
        id=ci.pk, name=ci.name, ci_class=ci.ci_class.code, ci_class_name=ci.ci_class.display_name,
        organisation=Ref(id=ci.organisation_id, label=str(ci.organisation)), state=ci.state,
        state_label=str(CIState(ci.state).label), attributes=ci.attributes or {}, description=ci.description,
        application=Ref(id=ci.application_id, label=ci.application.display_name) if ci.application_id else None,
        services=[Ref(id=s.pk, label=s.display_name) for s in ci.services.order_by("name")] if detail else None,
        supplier=ci.supplier, contract_number=ci.contract_number, purchase_date=ci.purchase_date,
        acceptance_date=ci.acceptance_date, warranty_end=ci.warranty_end, location=ci.location,
        custodian=Ref(id=ci.custodian_id, label=str(ci.custodian)) if ci.custodian_id else None,
        financial_category=ci.financial_category, value=ci.value, is_maintained=ci.is_maintained,
        version=ci.version, created_at=ci.created_at, updated_at=ci.updated_at,
    )


class CIPage(Schema):
    items: list[CIOut]
    next_cursor: str | None


class AssetFields(InputSchema):
    supplier: str | None = None
    contract_number: str | None = None
    purchase_date: str | None = Field(None, description="YYYY-MM-DD")
    acceptance_date: str | None = Field(None, description="YYYY-MM-DD")
    warranty_end: str | None = Field(None, description="YYYY-MM-DD")
    location: str | None = None
    custodian: int | None = Field(None, description="A user id.")
    financial_category: str | None = None
    value: Decimal | None = None
    is_maintained: bool | None = None


class CICreateIn(AssetFields):
    name: str
    ci_class: str = Field(description="The class's code (or id).")
    organisation: int
    attributes: dict[str, Any] = {}
    description: str = ""
    application: int | None = None
    services: list[int] = []


class CIUpdateIn(AssetFields):
    version: int | None = Field(description="The version you read; a stale one is a 409.")
    name: str | None = None
    organisation: int | None = None
    attributes: dict[str, Any] | None = Field(None, description="Codes to set; a null or empty value clears one.")
    description: str | None = None
    application: int | None = None
    services: list[int] | None = None


class TransitionIn(InputSchema):
    reason: str = ""
    version: int | None = None


class HistoryEntryOut(Schema):
    at: dt.datetime
    actor: str
    action: str
    data: dict[str, Any]


class HistoryPage(Schema):
    items: list[HistoryEntryOut]
    next_cursor: str | None = None


# Relations and impact ------------------------------------------------------------------------------


class RelationOut(Schema):
    id: int
    kind: str
    kind_label: str
    direction: str = Field(description="out: this CI is the source; in: it is the target.")
    source: Ref
    target: Ref
    description: str


def relation_out(view: RelationView) -> RelationOut:
    r: Relation = view.relation
    return RelationOut(
        id=r.pk, kind=r.kind, kind_label=str(RelationKind(r.kind).label), direction="out" if view.outgoing else "in",
        source=Ref(id=r.source_id, label=r.source.name), target=Ref(id=r.target_id, label=r.target.name),
        description=r.description,
    )


class RelationPage(Schema):
    items: list[RelationOut]
    next_cursor: str | None = None


class RelationIn(InputSchema):
    kind: str = Field(description="runs_on, depends_on, connected_to, part_of or backs_up.")
    target: int = Field(description="The other CI's id: this CI <kind> target.")
    description: str = ""


class ImpactedCIOut(Schema):
    id: int
    name: str
    ci_class: str
    organisation: Ref
    state: str
    depth: int = Field(description="Relations between the failing CI and this one.")
    via: int | None = Field(description="The CI through which the failure reaches this one.")


class IncidentRef(Schema):
    number: str
    title: str
    state: str
    priority: int


class ImpactOut(Schema):
    ci: Ref
    cis: list[ImpactedCIOut]
    hidden_count: int = Field(description="Impacted CIs in organisations you may not see.")
    services: list[Ref]
    applications: list[Ref]
    organisations: list[Ref]
    user_count: int
    open_incidents: list[IncidentRef]


def impact_out(impact: Impact) -> ImpactOut:
    return ImpactOut(
        ci=Ref(id=impact.ci.pk, label=impact.ci.name),
        cis=[ImpactedCIOut(id=i.ci.pk, name=i.ci.name, ci_class=i.ci.ci_class.code,
                           organisation=Ref(id=i.ci.organisation_id, label=str(i.ci.organisation)),
                           state=i.ci.state, depth=i.depth, via=i.via_id) for i in impact.cis],
        hidden_count=impact.hidden_count,
        services=[Ref(id=s.pk, label=s.display_name) for s in impact.services],
        applications=[Ref(id=a.pk, label=a.display_name) for a in impact.applications],
        organisations=[Ref(id=o.pk, label=str(o)) for o in impact.organisations],
        user_count=impact.user_count,
        open_incidents=[IncidentRef(number=i.number, title=i.title, state=i.state, priority=i.priority)
                        for i in impact.open_incidents],
    )


# Import -------------------------------------------------------------------------------------------


class RowErrorOut(Schema):
    row: int
    column: str
    message: str


class ImportOut(Schema):
    dry_run: bool
    imported: int = Field(description="Rows that created a CI (or would, on a dry run).")
    updated: int
    unchanged: int
    refused: list[RowErrorOut] = Field(description="Every bad row with its number and reason; "
                                                   "when there are any, nothing was written.")


class ImpactedUserOut(Schema):
    id: int
    username: str
    display_name: str
    organisation: Ref | None


class ImpactedUserPage(Schema):
    items: list[ImpactedUserOut]
    next_cursor: str | None
