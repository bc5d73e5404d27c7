"""API of the sla app: service level agreements and operational targets. Reading is open to staff;
creating is for administrators (the service checks)."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router

from opsdesk.accounts.models import User
from opsdesk.accounts.roles import Permission as P
from opsdesk.api.references import resolve
from opsdesk.calendars.models import BusinessCalendar
from opsdesk.catalog.models import Service
from opsdesk.core.errors import PermissionDenied
from opsdesk.core.pagination import clamp_limit, paginate

from . import selectors, services
from .schemas import (
    AgreementIn,
    AgreementOut,
    AgreementPage,
    OperationalTargetPage,
    agreement_out,
    operational_target_out,
)

router = Router(tags=["sla"])


def _staff(request: HttpRequest) -> User:
    user: User = request.auth  # type: ignore[attr-defined]
    if not (user.holds(P.INCIDENT_INTERNAL) or user.holds(P.ADMINISTER)):
        raise PermissionDenied(_("Only staff read service level agreements."))
    return user


@router.get("/slas", response=AgreementPage, summary="List service level agreements")
def agreement_list(request: HttpRequest, q: str = "", cursor: str | None = None, limit: int = 50) -> AgreementPage:
    _staff(request)
    rows, next_cursor = paginate(selectors.agreement_list(q=q), cursor=cursor, limit=clamp_limit(limit))
    return AgreementPage(items=[agreement_out(row) for row in rows], next_cursor=next_cursor)


@router.post("/slas", response={201: AgreementOut}, summary="Create a service level agreement with its targets")
def agreement_create(request: HttpRequest, payload: AgreementIn) -> tuple[int, AgreementOut]:
    actor: User = request.auth  # type: ignore[attr-defined]
    made = services.agreement_save(
        actor=actor, agreement=None, code=payload.code, name=payload.name, name_en=payload.name_en,
        description=payload.description, calendar=resolve(BusinessCalendar, payload.calendar, "calendar"),
        pause_on_customer=payload.pause_on_customer, pause_on_vendor=payload.pause_on_vendor,
        is_active=payload.is_active,
        targets={t.priority: (t.response_minutes, t.resolution_minutes) for t in payload.targets},
        thresholds=[t.model_dump() for t in payload.thresholds],
        services=None if payload.services is None else [resolve(Service, pk, "services") for pk in payload.services],
    )
    return 201, agreement_out(selectors.agreement_get(agreement_id=made.pk))


@router.get("/slas/ola", response=OperationalTargetPage, summary="Operational targets per group (OLA)")
def operational_target_list(request: HttpRequest) -> OperationalTargetPage:
    _staff(request)
    return OperationalTargetPage(items=[operational_target_out(t) for t in selectors.operational_target_list()])


@router.get("/slas/{agreement_id}", response=AgreementOut, summary="One service level agreement")
def agreement_detail(request: HttpRequest, agreement_id: int) -> AgreementOut:
    _staff(request)
    return agreement_out(selectors.agreement_get(agreement_id=agreement_id))
