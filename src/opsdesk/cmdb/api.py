"""API: CI classes, CIs, relations, impact, Excel import and export. Each endpoint parses, calls one
service or selector, renders; errors are the domain errors mapped by the API (``{"detail", "code"}``).

Reads need staff rights in the CI's organisation (``incident.internal``): a CI of another city is a 404.
CI writes: ``admin.manage`` or ``incident.work`` in the CI's organisation. Classes, attributes and imports:
``admin.manage``.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import File, Form, Query, Router, Schema
from ninja.files import UploadedFile
from pydantic import Field

from opsdesk.accounts.models import Organisation, User
from opsdesk.api.references import resolve
from opsdesk.audit.models import AuditEntry
from opsdesk.catalog.models import ApplicationNode, Service
from opsdesk.core.errors import NotFound, PermissionDenied, ValidationFailed
from opsdesk.core.pagination import clamp_limit

from . import rules, selectors, services
from .exporting import export_cis
from .importing import ci_import
from .models import CIClass, ConfigurationItem
from .schemas import (
    AttributeIn,
    AttributeOut,
    CIClassIn,
    CIClassOut,
    CIClassPage,
    CICreateIn,
    CIOut,
    CIPage,
    CIUpdateIn,
    HistoryEntryOut,
    HistoryPage,
    ImpactedCIOut,
    ImpactedUserOut,
    ImpactedUserPage,
    ImpactOut,
    ImportOut,
    Ref,
    RelationIn,
    RelationOut,
    RelationPage,
    RowErrorOut,
    TransitionIn,
    attribute_out,
    ci_out,
    impact_out,
    relation_out,
)

router = Router(tags=["cmdb"])

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _actor(request: HttpRequest) -> User:
    return request.auth  # type: ignore[attr-defined]


def _require_staff(user: User) -> None:
    if not (rules.readable_organisation_ids(user) or rules.can_configure(user)):
        raise PermissionDenied(_("You may not read the CMDB."))


def _class(value: str | int | None, field: str = "ci_class") -> CIClass | None:
    if value in (None, ""):
        return None
    text = str(value)
    found = CIClass.objects.filter(pk=int(text)).first() if text.isdigit() else CIClass.objects.filter(code=text).first()
    if found is None:
        message = _("There is no CI class “%(value)s”.") % {"value": value}
        raise ValidationFailed(message, field_errors={field: [message]})
    return found


# Classes ---------------------------------------------------------------------------------------


def _class_out(ci_class: CIClass, tree: selectors.ClassTree) -> CIClassOut:
    return CIClassOut(
        id=ci_class.pk, code=ci_class.code, name=ci_class.name, name_en=ci_class.name_en,
        parent=ci_class.parent.code if ci_class.parent_id else None, description=ci_class.description,
        icon=ci_class.icon, is_maintained=ci_class.is_maintained, is_active=ci_class.is_active,
        attributes=[attribute_out(a) for a in selectors.class_attributes(ci_class, tree=tree)],
    )


@router.get("/ci-classes", response=CIClassPage, summary="CI classes with their attributes (inherited ones marked)")
def ci_class_list(request: HttpRequest) -> CIClassPage:
    _require_staff(_actor(request))
    tree = selectors.class_tree()
    return CIClassPage(items=[_class_out(c, tree) for c in selectors.ci_class_list()])


@router.post("/ci-classes", response={201: CIClassOut}, summary="Define a CI class (administrators)")
def ci_class_create(request: HttpRequest, payload: CIClassIn) -> tuple[int, CIClassOut]:
    ci_class = services.ci_class_create(
        actor=_actor(request), code=payload.code, name=payload.name, name_en=payload.name_en,
        parent=_class(payload.parent, "parent"), description=payload.description, icon=payload.icon,
        is_maintained=payload.is_maintained)
    return 201, _class_out(ci_class, selectors.class_tree())


@router.post("/ci-classes/{code}/attributes", response={201: AttributeOut},
             summary="Add an attribute to a class and the classes below it (administrators)")
def attribute_define(request: HttpRequest, code: str, payload: AttributeIn) -> tuple[int, AttributeOut]:
    ci_class = selectors.ci_class_get(code=code)
    data = payload.model_dump()
    data["reference_class"] = _class(data["reference_class"], "reference_class")
    definition = services.attribute_define(actor=_actor(request), ci_class=ci_class, **data)
    item = next(a for a in selectors.class_attributes(ci_class) if a.definition.pk == definition.pk)
    return 201, attribute_out(item)


# CIs ---------------------------------------------------------------------------------------------


class CIQuery(Schema):
    ci_class: str | None = Field(None, alias="class", description="A class code or id (its subclasses included).")
    organisation: int | None = Field(None, description="An organisation id (those below it included).")
    state: str | None = Field(None, description="One or more states, comma-separated.")
    q: str = Field("", description="Words that must all appear in the name or a text attribute.")
    application: int | None = None
    service: int | None = None
    cursor: str | None = None
    limit: int = Field(50, description="Page size, 1–200.")


def _filters(request: HttpRequest, query: CIQuery) -> selectors.CIFilter:
    """The list's filters; ``attr.<code>=value`` (and ``attr.<code>__gte`` …) read from the query string."""
    attrs = {key[5:]: value for key, value in request.GET.items() if key.startswith("attr.") and len(key) > 5}
    ci_class = _class(query.ci_class, "class")
    return selectors.CIFilter(
        ci_class=ci_class.pk if ci_class else None, organisation=query.organisation,
        state=[s.strip() for s in query.state.split(",") if s.strip()] if query.state else None,
        q=query.q, attrs=attrs, application=query.application, service=query.service,
    )


@router.get("/cis", response=CIPage, summary="List CIs (filters: class, organisation, state, q, attr.<code>=…)")
def ci_list(request: HttpRequest, query: Query[CIQuery]) -> CIPage:
    user = _actor(request)
    queryset = selectors.ci_list(user=user, filters=_filters(request, query))
    rows, next_cursor = selectors.paginate(queryset, cursor=query.cursor, limit=clamp_limit(query.limit))
    return CIPage(items=[ci_out(ci) for ci in rows], next_cursor=next_cursor)


@router.post("/cis", response={201: CIOut}, summary="Register a CI")
def ci_create(request: HttpRequest, payload: CICreateIn) -> tuple[int, CIOut]:
    data = payload.model_dump(exclude_unset=True)
    organisation = resolve(Organisation, data.pop("organisation"), "organisation")
    ci_class = _class(data.pop("ci_class"))
    if "application" in data:
        data["application"] = resolve(ApplicationNode, data["application"], "application")
    if data.get("custodian") is not None:
        data["custodian"] = resolve(User.objects.filter(is_active=True), data["custodian"], "custodian")
    ci = services.ci_create(actor=_actor(request), ci_class=ci_class, organisation=organisation, **data)  # type: ignore[arg-type]
    return 201, ci_out(ci, detail=True)


@router.get("/cis/export", summary="The filtered list as an Excel workbook (.xlsx)")
def ci_export(request: HttpRequest, query: Query[CIQuery]) -> HttpResponse:
    content = export_cis(user=_actor(request), filters=_filters(request, query))
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = 'attachment; filename="cis.xlsx"'
    return response


class ImportRefusedOut(ImportOut):
    detail: str
    code: str


@router.post("/cis/import", response={200: ImportOut, 422: ImportRefusedOut},
             summary="Import an acceptance list (.xlsx): multipart file, mapping (JSON) and dry_run")
def ci_import_endpoint(request: HttpRequest, file: File[UploadedFile],
                       mapping: Form[str], dry_run: Form[bool] = True) -> Any:
    """``mapping``: ``{"columns": {"<header>": "name" | "class" | "organisation" | "<asset field>" |
    "attributes.<code>"}, "key": "<unique attribute code>", "class": "<default class code>",
    "organisation": "<default organisation code>"}``. Bad rows → 422 listing each row and reason; nothing
    is written unless every row is good."""
    result = ci_import(actor=_actor(request), file=file, mapping=mapping, dry_run=dry_run)
    body = {"dry_run": result.dry_run, "imported": result.created, "updated": result.updated,
            "unchanged": result.unchanged,
            "refused": [RowErrorOut(row=e.row, column=e.column, message=e.message) for e in result.errors]}
    if result.errors:
        return 422, ImportRefusedOut(**body, code="invalid_rows",
                                     detail=_("%(count)d rows are not valid; nothing was imported.")
                                     % {"count": len({e.row for e in result.errors})})
    return 200, ImportOut(**body)


@router.get("/cis/{ci_id}", response=CIOut, summary="One CI")
def ci_detail(request: HttpRequest, ci_id: int) -> CIOut:
    return ci_out(selectors.ci_get(user=_actor(request), ci_id=ci_id), detail=True)


@router.patch("/cis/{ci_id}", response=CIOut, summary="Change a CI (send the version you read; stale → 409)")
def ci_update(request: HttpRequest, ci_id: int, payload: CIUpdateIn) -> CIOut:
    user = _actor(request)
    ci = selectors.ci_get(user=user, ci_id=ci_id)
    fields = payload.model_dump(exclude_unset=True)
    version = fields.pop("version", None)
    if "organisation" in fields:
        fields["organisation"] = resolve(Organisation, fields["organisation"], "organisation")
    if "application" in fields:
        fields["application"] = resolve(ApplicationNode, fields["application"], "application")
    if fields.get("custodian") is not None:
        fields["custodian"] = resolve(User.objects.filter(is_active=True), fields["custodian"], "custodian")
    updated = services.ci_update(actor=user, ci=ci, version=version, **fields)
    return ci_out(ConfigurationItem.objects.select_related(*selectors.LIST_RELATED).get(pk=updated.pk), detail=True)


@router.post("/cis/{ci_id}/transitions/{transition}", response=CIOut,
             summary="Lifecycle: verify, put_in_use, repair, upgrade, retire, scrap")
def ci_transition(request: HttpRequest, ci_id: int, transition: str, payload: TransitionIn | None = None) -> CIOut:
    user = _actor(request)
    ci = selectors.ci_get(user=user, ci_id=ci_id)
    inputs = payload or TransitionIn()
    services.ci_transition(actor=user, ci=ci, transition=transition, reason=inputs.reason, version=inputs.version)
    return ci_out(selectors.ci_get(user=user, ci_id=ci_id), detail=True)


@router.get("/cis/{ci_id}/history", response=HistoryPage, summary="The CI's history, oldest first")
def ci_history(request: HttpRequest, ci_id: int) -> HistoryPage:
    user = _actor(request)
    entries: list[AuditEntry] = selectors.ci_timeline(user=user, ci=selectors.ci_get(user=user, ci_id=ci_id))
    return HistoryPage(items=[HistoryEntryOut(at=e.at, actor=e.actor_name, action=e.action, data=e.data)
                              for e in entries])


# Relations and impact ------------------------------------------------------------------------------


@router.get("/cis/{ci_id}/relations", response=RelationPage, summary="The CI's relations (outgoing first)")
def relation_list(request: HttpRequest, ci_id: int) -> RelationPage:
    user = _actor(request)
    ci = selectors.ci_get(user=user, ci_id=ci_id)
    return RelationPage(items=[relation_out(v) for v in selectors.ci_relations(user=user, ci=ci)])


@router.post("/cis/{ci_id}/relations", response={201: RelationOut}, summary="Relate: this CI <kind> target")
def relation_create(request: HttpRequest, ci_id: int, payload: RelationIn) -> tuple[int, RelationOut]:
    user = _actor(request)
    source = selectors.ci_get(user=user, ci_id=ci_id)
    target = selectors.ci_get(user=user, ci_id=payload.target)
    relation = services.relation_create(actor=user, source=source, target=target, kind=payload.kind,
                                        description=payload.description)
    return 201, relation_out(selectors.RelationView(relation, True, target))


@router.delete("/cis/{ci_id}/relations/{relation_id}", response={204: None}, summary="Remove a relation")
def relation_delete(request: HttpRequest, ci_id: int, relation_id: int) -> tuple[int, None]:
    user = _actor(request)
    ci = selectors.ci_get(user=user, ci_id=ci_id)
    relation = next((v.relation for v in selectors.ci_relations(user=user, ci=ci) if v.relation.pk == relation_id), None)
    if relation is None:
        raise NotFound(_("There is no such relation."))
    services.relation_delete(actor=user, relation=relation)
    return 204, None


@router.get("/cis/{ci_id}/impact", response=ImpactOut,
            summary="What a failure of this CI affects: CIs, services, applications, users, open incidents")
def ci_impact(request: HttpRequest, ci_id: int, max_depth: int | None = None, limit: int = 100) -> ImpactOut:
    user = _actor(request)
    ci = selectors.ci_get(user=user, ci_id=ci_id)
    return impact_out(selectors.impact_of(user=user, ci=ci, max_depth=max_depth, limit=max(0, min(limit, 5000))))


@router.get("/cis/{ci_id}/impact/users", response=ImpactedUserPage,
            summary="The users who depend on this CI (through the impacted organisations), by cursor pages")
def ci_impact_users(request: HttpRequest, ci_id: int, cursor: str | None = None, limit: int = 50) -> ImpactedUserPage:
    user = _actor(request)
    ci = selectors.ci_get(user=user, ci_id=ci_id)
    rows, next_cursor = selectors.impact_users(user=user, ci=ci, cursor=cursor, limit=clamp_limit(limit))
    return ImpactedUserPage(items=[
        ImpactedUserOut(id=u.pk, username=u.username, display_name=u.display_name,
                        organisation=Ref(id=u.organisation_id, label=str(u.organisation)) if u.organisation_id else None)
        for u in rows], next_cursor=next_cursor)


class ServiceDependenciesOut(Schema):
    service: Ref
    cis: list[ImpactedCIOut]
    hidden_count: int = Field(description="CIs it depends on in organisations you may not see.")


@router.get("/services/{service_id}/cis", response=ServiceDependenciesOut,
            summary="Every CI a service depends on: those linked to it or to its application, and all below them")
def service_dependencies(request: HttpRequest, service_id: int, limit: int = 1000) -> ServiceDependenciesOut:
    user = _actor(request)
    _require_staff(user)
    service = Service.objects.filter(pk=service_id).first()
    if service is None:
        raise NotFound(_("There is no such service."))
    deps = selectors.service_dependencies(user=user, service=service, limit=max(0, min(limit, 5000)))
    return ServiceDependenciesOut(
        service=Ref(id=service.pk, label=service.display_name),
        cis=[ImpactedCIOut(id=i.ci.pk, name=i.ci.name, ci_class=i.ci.ci_class.code,
                           organisation=Ref(id=i.ci.organisation_id, label=str(i.ci.organisation)),
                           state=i.ci.state, depth=i.depth, via=i.via_id) for i in deps.cis],
        hidden_count=deps.hidden_count,
    )
