"""What the SLA API reads and writes. Targets are in business minutes."""

from __future__ import annotations

from ninja import Schema
from pydantic import ConfigDict, Field

from .models import OperationalTarget, ServiceLevelAgreement


class TargetSchema(Schema):
    model_config = ConfigDict(extra="forbid")

    priority: int = Field(description="1 critical … 4 low")
    response_minutes: int = Field(description="Response target in business minutes.")
    resolution_minutes: int = Field(description="Resolution target in business minutes.")


class ThresholdSchema(Schema):
    model_config = ConfigDict(extra="forbid")

    percent: int = Field(description="1–100; at 100 the clock is marked breached.")
    notify_assignee: bool = True
    notify_group_lead: bool = True
    notify_managers: bool = False


class AgreementOut(Schema):
    id: int
    code: str
    name: str
    name_en: str
    description: str
    calendar: int | None = Field(description="Business calendar; null: the incident organisation's calendar.")
    pause_on_customer: bool
    pause_on_vendor: bool
    is_active: bool
    targets: list[TargetSchema]
    thresholds: list[ThresholdSchema]
    services: list[int] = Field(description="Services offered under this agreement.")


def agreement_out(agreement: ServiceLevelAgreement) -> AgreementOut:
    return AgreementOut(
        id=agreement.pk, code=agreement.code, name=agreement.name, name_en=agreement.name_en,
        description=agreement.description, calendar=agreement.calendar_id,
        pause_on_customer=agreement.pause_on_customer, pause_on_vendor=agreement.pause_on_vendor,
        is_active=agreement.is_active,
        targets=[TargetSchema(priority=t.priority, response_minutes=t.response_minutes,
                              resolution_minutes=t.resolution_minutes) for t in agreement.targets.all()],
        thresholds=[ThresholdSchema(percent=t.percent, notify_assignee=t.notify_assignee,
                                    notify_group_lead=t.notify_group_lead, notify_managers=t.notify_managers)
                    for t in agreement.thresholds.all()],
        services=[link.service_id for link in agreement.service_links.all()],
    )


class AgreementPage(Schema):
    items: list[AgreementOut]
    next_cursor: str | None = None


class AgreementIn(Schema):
    model_config = ConfigDict(extra="forbid")

    code: str
    name: str
    name_en: str = ""
    description: str = ""
    calendar: int | None = None
    pause_on_customer: bool = True
    pause_on_vendor: bool = False
    is_active: bool = True
    targets: list[TargetSchema] = Field(description="One entry per priority that has targets.")
    thresholds: list[ThresholdSchema] = Field(default_factory=list)
    services: list[int] | None = Field(None, description="Services to offer under it (omitted: unchanged).")


class OperationalTargetOut(Schema):
    id: int
    group: int
    priority: int | None = Field(description="null: any priority without a target of its own.")
    target_minutes: int
    calendar: int | None


def operational_target_out(target: OperationalTarget) -> OperationalTargetOut:
    return OperationalTargetOut(id=target.pk, group=target.group_id, priority=target.priority,
                                target_minutes=target.target_minutes, calendar=target.calendar_id)


class OperationalTargetPage(Schema):
    items: list[OperationalTargetOut]
    next_cursor: str | None = None
