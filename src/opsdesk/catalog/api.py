"""API: the service catalogue (services and their category trees)."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router, Schema
from pydantic import Field

from opsdesk.core.pagination import DEFAULT_LIMIT, clamp_limit, paginate

from .models import Category, Service
from .selectors import category_list, service_list

router = Router(tags=["catalogue"])


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

    @staticmethod
    def resolve_display_name(obj: Service) -> str:
        return obj.display_name


class ServicePage(Schema):
    items: list[ServiceOut]
    next_cursor: str | None


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


@router.get("/services", response=ServicePage, summary="Services")
def services(request: HttpRequest, q: str = "", cursor: str | None = None, limit: int = DEFAULT_LIMIT) -> dict:
    rows, next_cursor = paginate(service_list(q=q), cursor=cursor, limit=clamp_limit(limit))
    return {"items": rows, "next_cursor": next_cursor}


@router.get("/categories", response=CategoryPage, summary="Categories (filter by service)")
def categories(
    request: HttpRequest, service: int | None = None, q: str = "", cursor: str | None = None, limit: int = DEFAULT_LIMIT
) -> dict:
    rows, next_cursor = paginate(category_list(service_id=service, q=q), cursor=cursor, limit=clamp_limit(limit))
    return {"items": rows, "next_cursor": next_cursor}
