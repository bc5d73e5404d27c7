"""Reads about organisations, users and groups, scoped to the reader."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db.models import Count, Prefetch, Q, QuerySet

from .models import ApiToken, Organisation, StaffLevel, StaffLevelRate, SupportGroup, User
from .roles import ROLE_PERMISSIONS, Permission


def organisation_ids_where(user: User, permission: str) -> frozenset[int]:
    """The organisations in which ``user`` holds ``permission`` (through any role).

    Cached on the user object per permission, and per set of grants: permissions that come from the same
    role assignments (a desk agent's view, record, dispatch and close) cost one query between them.
    """
    cache = user.__dict__.setdefault("_org_scope_cache", {})
    if permission in cache:
        return cache[permission]
    if user.is_superuser:
        grants: tuple = ("all organisations",)
    else:
        grants = tuple(sorted({
            (org_id, path, include_descendants)
            for role, org_id, path, include_descendants in user.role_grants
            if permission in ROLE_PERMISSIONS.get(role, frozenset())
        }))
    if grants not in cache:
        if user.is_superuser:
            ids = frozenset(Organisation.objects.values_list("id", flat=True))
        else:
            condition = Q(pk__in=[])
            for org_id, path, include_descendants in grants:
                condition |= Q(path__startswith=path) if include_descendants else Q(pk=org_id)
            ids = frozenset(Organisation.objects.filter(condition).values_list("id", flat=True))
        cache[grants] = ids
    cache[permission] = cache[grants]
    return cache[permission]


# What a user object caches about its person's grants (cached properties and the scope cache above).
_PERSON_READS = ("role_grants", "permissions", "roles", "_org_scope_cache", "support_group_ids", "led_group_ids")


def one_object_per_person(users: Iterable[User]) -> dict[int, User]:
    """The first object of each person among ``users``: requests of one person written in one batch check
    their grants on it, so the grants are read once for the batch (``share_person_reads`` hands them back)."""
    chosen: dict[int, User] = {}
    for user in users:
        chosen.setdefault(user.pk, user)
    return chosen


def share_person_reads(users: Iterable[User], chosen: dict[int, User]) -> None:
    """Give each of ``users`` what its person's chosen object has read about the grants, so rendering each
    request's answer does not read them again."""
    for user in users:
        source = chosen.get(user.pk)
        if source is None or source is user:
            continue
        for name in _PERSON_READS:
            if name in source.__dict__ and name not in user.__dict__:
                user.__dict__[name] = source.__dict__[name]


def holds_in(user: User, permission: str, organisation_id: int | None) -> bool:
    return organisation_id is not None and organisation_id in organisation_ids_where(user, permission)


def organisation_list(*, user: User, q: str = "") -> QuerySet[Organisation]:
    queryset = Organisation.objects.all()
    if q:
        queryset = queryset.filter(Q(name__icontains=q) | Q(code__icontains=q) | Q(name_en__icontains=q))
    return queryset


def user_list(*, user: User | None, q: str = "") -> QuerySet[User]:
    """Active users. Staff (and the callers that pass ``user=None``: pickers on staff pages) see everyone;
    a requester sees only themself, never the directory of names, phones and email addresses."""
    queryset = User.objects.filter(is_active=True)
    if user is not None and not (user.holds(Permission.INCIDENT_INTERNAL) or user.holds(Permission.ADMINISTER)):
        queryset = queryset.filter(pk=user.pk)
    queryset = queryset.select_related("organisation").prefetch_related(
        "group_memberships", "role_assignments"
    )
    if q:
        queryset = queryset.filter(
            Q(username__icontains=q) | Q(display_name__icontains=q) | Q(email__icontains=q) | Q(phone__icontains=q)
        )
    return queryset.order_by("username")


def group_list(*, user: User, q: str = "") -> QuerySet[SupportGroup]:
    queryset = SupportGroup.objects.select_related("organisation", "lead")
    if q:
        queryset = queryset.filter(Q(name__icontains=q) | Q(code__icontains=q) | Q(name_en__icontains=q))
    return queryset


def api_token_list(*, user: User) -> QuerySet[ApiToken]:
    """The user's own API tokens, newest first (revoked ones included, marked by ``revoked_at``)."""
    return ApiToken.objects.filter(user=user).order_by("-created_at", "-id")


def staff_level_list() -> QuerySet[StaffLevel]:
    """Every staff level with its rates (newest first) and its number of people."""
    return StaffLevel.objects.annotate(people=Count("users", filter=Q(users__is_active=True))).prefetch_related(
        Prefetch("rates", queryset=StaffLevelRate.objects.order_by("-effective_from"))
    ).order_by("rank", "code")  # Meta.ordering does not apply to a query with GROUP BY


def staff_level_rate_on(level: StaffLevel | None, day: dt.date) -> StaffLevelRate | None:
    """The level's rate in effect on ``day``: the one with the latest ``effective_from`` not after it."""
    if level is None:
        return None
    return StaffLevelRate.objects.filter(level=level, effective_from__lte=day).order_by("-effective_from").first()
