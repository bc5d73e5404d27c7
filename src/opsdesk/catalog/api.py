"""API: the service catalogue (service products, their category trees and the application catalogue)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Schema
from pydantic import ConfigDict, Field

from opsdesk.accounts.models import Organisation, SupportGroup, User
from opsdesk.api.references import resolve
from opsdesk.core.errors import NotFound, ValidationFailed
from opsdesk.core.pagination import DEFAULT_LIMIT, clamp_limit, paginate
from opsdesk.sla.models import ServiceLevelAgreement

from . import services as catalog_services
from .models import ApplicationLevel, ApplicationNode, Category, Service, ServiceKind
from .selectors import (
    CatalogueNode,
    agreement_ids,
    application_node_list,
    application_tree,
    category_list,
    service_list,
)

router = Router(tags=["catalogue"])


def _actor(request: HttpRequest) -> User:
    return request.auth  # type: ignore[attr-defined]


class InputSchema(Schema):
    model_config = ConfigDict(extra="forbid")


# Services --------------------------------------------------------------------------------------


class ServiceOut(Schema):
    id: int
    code: str
    name: str
    name_en: str
    display_name: str = Field(description="The name in the caller's language.")
    kind: str
    description: str
    is_active: bool
    owner_group: int | None = Field(validation_alias="owner_group_id")
    application: int | None = Field(validation_alias="application_id",
                                    description="The node of the application catalogue it is offered on.")
    sla: int | None = Field(None, description="The service level agreement it is offered under.")

    @staticmethod
    def resolve_display_name(obj: Service) -> str:
        return obj.display_name

    @staticmethod
    def resolve_sla(obj: Service) -> int | None:
        return getattr(obj, "agreement_id", None)


class ServicePage(Schema):
    items: list[ServiceOut]
    next_cursor: str | None


class ServiceIn(InputSchema):
    code: str = Field(description="Letters, digits, - and _; unique.")
    name: str
    name_en: str = ""
    kind: str = Field(ServiceKind.OTHER, json_schema_extra={"enum": ServiceKind.values})
    description: str = ""
    application: int | None = Field(None, description="Id of the application catalogue node it is offered on.")
    owner_group: int | None = None
    is_active: bool = True
    sla: int | None = Field(None, description="Id of its service level agreement.")


def _with_agreements(rows: list[Service]) -> list[Service]:
    agreements = agreement_ids([row.pk for row in rows])
    for row in rows:
        row.agreement_id = agreements.get(row.pk)  # type: ignore[attr-defined]
    return rows


@router.get("/services", response=ServicePage, summary="Services")
def services(request: HttpRequest, q: str = "", include_inactive: bool = False, cursor: str | None = None,
             limit: int = DEFAULT_LIMIT) -> dict:
    rows, next_cursor = paginate(service_list(q=q, active_only=not include_inactive), cursor=cursor,
                                 limit=clamp_limit(limit))
    return {"items": _with_agreements(rows), "next_cursor": next_cursor}


@router.post("/services", response={201: ServiceOut}, summary="Offer a service product (administrators)")
def service_create(request: HttpRequest, payload: ServiceIn) -> tuple[int, Service]:
    catalog_services.require_catalogue_admin(_actor(request))
    agreement = resolve(ServiceLevelAgreement, payload.sla, "sla")
    service = catalog_services.service_create(
        actor=_actor(request),
        code=payload.code,
        name=payload.name,
        name_en=payload.name_en,
        kind=payload.kind,
        description=payload.description,
        application=resolve(ApplicationNode, payload.application, "application"),
        owner_group=resolve(SupportGroup, payload.owner_group, "owner_group"),
        is_active=payload.is_active,
        agreement=agreement,
    )
    return 201, _with_agreements([service])[0]


# Categories ------------------------------------------------------------------------------------


class CategoryOut(Schema):
    id: int
    service: int = Field(validation_alias="service_id")
    parent: int | None = Field(validation_alias="parent_id")
    code: str
    name: str
    name_en: str
    display_name: str
    full_name: str = Field(description="“Parent / child” in the caller's language.")
    is_active: bool

    @staticmethod
    def resolve_display_name(obj: Category) -> str:
        return obj.display_name

    @staticmethod
    def resolve_full_name(obj: Category) -> str:
        return obj.full_name


class CategoryPage(Schema):
    items: list[CategoryOut]
    next_cursor: str | None


@router.get("/categories", response=CategoryPage, summary="Categories (filter by service)")
def categories(
    request: HttpRequest, service: int | None = None, q: str = "", cursor: str | None = None, limit: int = DEFAULT_LIMIT
) -> dict:
    rows, next_cursor = paginate(category_list(service_id=service, q=q), cursor=cursor, limit=clamp_limit(limit))
    return {"items": rows, "next_cursor": next_cursor}


# The application catalogue (应用目录) ------------------------------------------------------------


class ApplicationNodeOut(Schema):
    id: int
    code: str
    name: str
    name_en: str
    display_name: str
    level: str = Field(json_schema_extra={"enum": ApplicationLevel.values},
                       description="system → subsystem → platform → module")
    parent: int | None = Field(validation_alias="parent_id")
    description: str
    owner_group: int | None = Field(validation_alias="owner_group_id")
    organisation: int | None = Field(validation_alias="organisation_id")
    is_active: bool

    @staticmethod
    def resolve_display_name(obj: ApplicationNode) -> str:
        return obj.display_name


class ApplicationNodePage(Schema):
    items: list[ApplicationNodeOut]
    next_cursor: str | None


class ApplicationNodeIn(InputSchema):
    code: str = Field(description="Letters, digits, - and _; unique.")
    name: str
    name_en: str = ""
    level: str | None = Field(None, json_schema_extra={"enum": ApplicationLevel.values},
                              description="Optional: it follows from the parent (a node without one is a system).")
    parent: int | None = None
    description: str = ""
    owner_group: int | None = None
    organisation: int | None = None


class CatalogueServiceOut(Schema):
    id: int
    code: str
    display_name: str
    kind: str
    owner_group: int | None
    is_active: bool


class CatalogueNodeOut(Schema):
    id: int
    code: str
    display_name: str
    level: str
    owner_group: int | None
    is_active: bool
    services: list[CatalogueServiceOut]
    children: list[CatalogueNodeOut]


class CatalogueTreeOut(Schema):
    items: list[CatalogueNodeOut]


CatalogueNodeOut.model_rebuild()


def _tree_out(item: CatalogueNode) -> dict[str, Any]:
    node = item.node
    return {
        "id": node.pk, "code": node.code, "display_name": node.display_name, "level": node.level,
        "owner_group": node.owner_group_id, "is_active": node.is_active,
        "services": [{"id": s.pk, "code": s.code, "display_name": s.display_name, "kind": s.kind,
                      "owner_group": s.owner_group_id, "is_active": s.is_active} for s in item.services],
        "children": [_tree_out(child) for child in item.children],
    }


@router.get("/services/tree", response=CatalogueTreeOut,
            summary="The application catalogue: systems → subsystems → platforms → modules, each with its services")
def catalogue_tree(request: HttpRequest, include_inactive: bool = False) -> dict:
    return {"items": [_tree_out(item) for item in application_tree(active_only=not include_inactive)]}


@router.get("/application-nodes", response=ApplicationNodePage, summary="Nodes of the application catalogue")
def application_nodes(
    request: HttpRequest, q: str = "", level: str = "", parent: int | None = None, cursor: str | None = None,
    limit: int = DEFAULT_LIMIT,
) -> dict:
    queryset = application_node_list(q=q, level=level, parent_id=parent)
    rows, next_cursor = paginate(queryset, cursor=cursor, limit=clamp_limit(limit))
    return {"items": rows, "next_cursor": next_cursor}


@router.post("/application-nodes", response={201: ApplicationNodeOut},
             summary="Add a node to the application catalogue (administrators)")
def application_node_create(request: HttpRequest, payload: ApplicationNodeIn) -> tuple[int, ApplicationNode]:
    catalog_services.require_catalogue_admin(_actor(request))
    node = catalog_services.application_node_create(
        actor=_actor(request),
        code=payload.code,
        name=payload.name,
        name_en=payload.name_en,
        level=payload.level,
        parent=resolve(ApplicationNode, payload.parent, "parent"),
        description=payload.description,
        owner_group=resolve(SupportGroup, payload.owner_group, "owner_group"),
        organisation=resolve(Organisation, payload.organisation, "organisation"),
    )
    return 201, node


class ApplicationNodePatch(InputSchema):
    code: str | None = None
    name: str | None = None
    name_en: str | None = None
    description: str | None = None
    parent: int | None = Field(None, description="Moving a node with children may not change its level.")
    owner_group: int | None = None
    organisation: int | None = None


class DeactivateIn(InputSchema):
    cascade: bool = Field(False, description="Also deactivate every node below and every service offered on them; "
                                             "without it a node that has any is refused (422 on cascade).")


def _node(node_id: int) -> ApplicationNode:
    node = ApplicationNode.objects.filter(pk=node_id).first()
    if node is None:
        raise NotFound(_("No such node of the application catalogue."))
    return node


@router.patch("/application-nodes/{node_id}", response=ApplicationNodeOut,
              summary="Change, rename or move a node of the application catalogue (administrators)")
def application_node_update(request: HttpRequest, node_id: int, payload: ApplicationNodePatch) -> ApplicationNode:
    actor = _actor(request)
    catalog_services.require_catalogue_admin(actor)
    node = _node(node_id)
    changes: dict[str, Any] = payload.dict(exclude_unset=True)
    for field, model in (("parent", ApplicationNode), ("owner_group", SupportGroup), ("organisation", Organisation)):
        if field in changes:
            changes[field] = resolve(model, changes[field], field)
    return catalog_services.application_node_update(actor=actor, node=node, **changes)


@router.post("/application-nodes/{node_id}/deactivate", response=ApplicationNodeOut,
             summary="Take a node of the application catalogue out of use (administrators)")
def application_node_deactivate(request: HttpRequest, node_id: int, payload: DeactivateIn) -> ApplicationNode:
    actor = _actor(request)
    catalog_services.require_catalogue_admin(actor)
    return catalog_services.application_node_deactivate(actor=actor, node=_node(node_id), cascade=payload.cascade)


class ServicePatch(InputSchema):
    code: str | None = None
    name: str | None = None
    name_en: str | None = None
    kind: str | None = Field(None, json_schema_extra={"enum": ServiceKind.values})
    description: str | None = None
    application: int | None = None
    owner_group: int | None = None
    is_active: bool | None = None
    sla: int | None = Field(None, description="Id of its service level agreement; null for none.")


@router.patch("/services/{service_id}", response=ServiceOut, summary="Change a service product (administrators)")
def service_update(request: HttpRequest, service_id: int, payload: ServicePatch) -> Service:
    actor = _actor(request)
    catalog_services.require_catalogue_admin(actor)
    service = Service.objects.filter(pk=service_id).first()
    if service is None:
        raise NotFound(_("No such service."))
    changes: dict[str, Any] = payload.dict(exclude_unset=True)
    for field, model in (("application", ApplicationNode), ("owner_group", SupportGroup)):
        if field in changes:
            changes[field] = resolve(model, changes[field], field)
    if "sla" in changes:
        changes["agreement"] = resolve(ServiceLevelAgreement, changes.pop("sla"), "sla")
    for field in ("code", "name", "name_en", "kind", "description", "is_active"):
        if field in changes and changes[field] is None:
            message = _("This field may not be null.")
            raise ValidationFailed(message, field_errors={field: [message]})
    return _with_agreements([catalog_services.service_update(actor=actor, service=service, **changes)])[0]
