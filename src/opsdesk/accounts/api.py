"""API: sign-in for a token, the caller, and the read endpoints for users, groups and organisations."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.translation import get_language
from ninja import Router, Schema
from pydantic import Field

from opsdesk.core.pagination import DEFAULT_LIMIT, clamp_limit, paginate

from .middleware import client_ip
from .models import Organisation, SupportGroup, User
from .selectors import group_list, organisation_list, user_list
from .services import api_token_create, user_sign_in

router = Router(tags=["accounts"])

API_SIGN_IN_TOKEN_NAME = "API sign-in"


def _bilingual(name: str, name_en: str) -> str:
    return name_en if (get_language() or "").startswith("en") and name_en else name


class TokenIn(Schema):
    username: str
    password: str


class TokenOut(Schema):
    token: str = Field(description="Send it as “Authorization: Bearer <token>”. Shown once; revoke it on the profile page.")


class UserOut(Schema):
    id: int
    username: str
    display_name: str
    organisation: int | None = Field(validation_alias="organisation_id")
    groups: list[int] = Field(description="Ids of the support groups the user belongs to.")
    roles: list[str]

    @staticmethod
    def resolve_display_name(obj: User) -> str:
        return obj.display_name or obj.username

    @staticmethod
    def resolve_groups(obj: User) -> list[int]:
        return sorted({membership.group_id for membership in obj.group_memberships.all()})

    @staticmethod
    def resolve_roles(obj: User) -> list[str]:
        return sorted({assignment.role for assignment in obj.role_assignments.all()})


class MeOut(UserOut):
    email: str
    phone: str
    language: str
    time_zone: str
    led_groups: list[int]
    permissions: list[str]

    @staticmethod
    def resolve_groups(obj: User) -> list[int]:
        return sorted(obj.support_group_ids)

    @staticmethod
    def resolve_roles(obj: User) -> list[str]:
        return obj.roles

    @staticmethod
    def resolve_led_groups(obj: User) -> list[int]:
        return sorted(obj.led_group_ids)

    @staticmethod
    def resolve_permissions(obj: User) -> list[str]:
        return sorted(obj.permissions)


class UserPage(Schema):
    items: list[UserOut]
    next_cursor: str | None


class GroupOut(Schema):
    id: int
    code: str
    name: str
    name_en: str
    display_name: str
    organisation: int = Field(validation_alias="organisation_id")
    line: str = Field(description="desk, l1, l2, l3 or vendor")
    strategy: str = Field(description="manual, round_robin or least_loaded")
    lead: int | None = Field(validation_alias="lead_id")
    members: list[int]

    @staticmethod
    def resolve_display_name(obj: SupportGroup) -> str:
        return _bilingual(obj.name, obj.name_en)

    @staticmethod
    def resolve_members(obj: SupportGroup) -> list[int]:
        return sorted(membership.user_id for membership in obj.memberships.all())


class GroupPage(Schema):
    items: list[GroupOut]
    next_cursor: str | None


class OrganisationOut(Schema):
    id: int
    code: str
    name: str
    name_en: str
    display_name: str
    level: str = Field(description="headquarters, province, city or department")
    parent: int | None = Field(validation_alias="parent_id")
    path: str = Field(description="Ids from the root, e.g. /1/4/9/")

    @staticmethod
    def resolve_display_name(obj: Organisation) -> str:
        return _bilingual(obj.name, obj.name_en)


class OrganisationPage(Schema):
    items: list[OrganisationOut]
    next_cursor: str | None


@router.post("/auth/token", auth=None, response=TokenOut, summary="Sign in and get an API token")
def token_create(request: HttpRequest, payload: TokenIn) -> dict[str, str]:
    """Check the username and password (throttled and audited like the web sign-in) and issue a token."""
    user = user_sign_in(username=payload.username, password=payload.password, ip=client_ip(request))
    issued = api_token_create(actor=user, name=API_SIGN_IN_TOKEN_NAME)
    return {"token": issued.secret}


@router.get("/me", response=MeOut, summary="The signed-in user")
def me(request: HttpRequest) -> User:
    return request.auth  # type: ignore[attr-defined]


@router.get("/users", response=UserPage, summary="Users")
def users(request: HttpRequest, q: str = "", cursor: str | None = None, limit: int = DEFAULT_LIMIT) -> dict:
    rows, next_cursor = paginate(user_list(user=request.auth, q=q), cursor=cursor, limit=clamp_limit(limit))  # type: ignore[attr-defined]
    return {"items": rows, "next_cursor": next_cursor}


@router.get("/groups", response=GroupPage, summary="Support groups")
def groups(request: HttpRequest, q: str = "", cursor: str | None = None, limit: int = DEFAULT_LIMIT) -> dict:
    queryset = group_list(user=request.auth, q=q).prefetch_related("memberships")  # type: ignore[attr-defined]
    rows, next_cursor = paginate(queryset, cursor=cursor, limit=clamp_limit(limit))
    return {"items": rows, "next_cursor": next_cursor}


@router.get("/organisations", response=OrganisationPage, summary="Organisations")
def organisations(request: HttpRequest, q: str = "", cursor: str | None = None, limit: int = DEFAULT_LIMIT) -> dict:
    rows, next_cursor = paginate(organisation_list(user=request.auth, q=q), cursor=cursor, limit=clamp_limit(limit))  # type: ignore[attr-defined]
    return {"items": rows, "next_cursor": next_cursor}
