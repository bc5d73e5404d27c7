"""Every write about accounts: organisations, users, groups, roles, tokens, sign-in."""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import secrets
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth import authenticate
from django.core.cache import cache
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from opsdesk.audit.services import audit_record
from opsdesk.core import clock
from opsdesk.core.errors import NotFound, PermissionDenied, ValidationFailed

from .models import (
    ApiToken,
    GroupMembership,
    Organisation,
    RoleAssignment,
    StaffLevel,
    StaffLevelRate,
    SupportGroup,
    User,
    UserStaffLevel,
)
from .roles import Permission as P

SIGN_IN_ATTEMPTS = 5
SIGN_IN_WINDOW_SECONDS = 15 * 60
TOKEN_PREFIX = "odk_"


@transaction.atomic
def organisation_create(*, name: str, code: str, level: str, parent: Organisation | None = None, name_en: str = "",
                        actor: User | None = None) -> Organisation:
    organisation = Organisation.objects.create(name=name, name_en=name_en, code=code, level=level, parent=parent)
    organisation.path = f"{parent.path if parent else '/'}{organisation.pk}/"
    organisation.save(update_fields=["path"])
    audit_record(actor=actor, action="organisation.created", subject=organisation, organisation_id=organisation.pk,
                 data={"code": code, "name": name, "level": level, "parent": parent.code if parent else None})
    return organisation


@transaction.atomic
def user_create(
    *,
    username: str,
    password: str | None,
    organisation: Organisation,
    display_name: str = "",
    email: str = "",
    phone: str = "",
    roles: list[str] | tuple[str, ...] = (),
    groups: list[SupportGroup] | tuple[SupportGroup, ...] = (),
    is_superuser: bool = False,
    language: str = "zh-hans",
    actor: User | None = None,
) -> User:
    if User.objects.filter(username=username).exists():
        raise ValidationFailed(_("The username is taken."), field_errors={"username": [_("The username is taken.")]})
    user = User(
        username=username,
        organisation=organisation,
        display_name=display_name,
        email=email,
        phone=phone,
        is_superuser=is_superuser,
        is_staff=is_superuser,
        language=language,
    )
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.save()
    for role in roles:
        RoleAssignment.objects.create(user=user, role=role, organisation=organisation)
    for group in groups:
        GroupMembership.objects.create(user=user, group=group)
    audit_record(actor=actor, action="user.created", subject=user, organisation_id=organisation.pk, data={
        "username": username, "roles": list(roles), "groups": [g.code for g in groups], "is_superuser": is_superuser,
    })
    return user


@transaction.atomic
def role_assign(*, user: User, role: str, organisation: Organisation, include_descendants: bool = True,
                actor: User | None = None) -> RoleAssignment:
    assignment, created = RoleAssignment.objects.get_or_create(
        user=user, role=role, organisation=organisation, defaults={"include_descendants": include_descendants}
    )
    if created:
        audit_record(actor=actor, action="role.assigned", subject=user, organisation_id=organisation.pk, data={
            "role": role, "organisation": organisation.code, "include_descendants": include_descendants,
        })
    user.__dict__.pop("role_grants", None)
    user.__dict__.pop("permissions", None)
    user.__dict__.pop("_org_scope_cache", None)
    return assignment


@transaction.atomic
def group_create(
    *,
    name: str,
    code: str,
    organisation: Organisation,
    line: str,
    strategy: str = "manual",
    lead: User | None = None,
    members: list[User] | tuple[User, ...] = (),
    name_en: str = "",
    actor: User | None = None,
) -> SupportGroup:
    group = SupportGroup.objects.create(
        name=name, name_en=name_en, code=code, organisation=organisation, line=line, strategy=strategy, lead=lead
    )
    for member in members:
        GroupMembership.objects.get_or_create(group=group, user=member)
    audit_record(actor=actor, action="group.created", subject=group, subject_type="group", organisation_id=organisation.pk, data={
        "code": code, "name": name, "line": line, "strategy": strategy,
        "lead": lead.username if lead else None, "members": [m.username for m in members],
    })
    return group


# Staff levels and their cost rates (人员级别) ---------------------------------------------------


def _require_admin(actor: User | None) -> None:
    """Staff levels are configuration: administrators only (``None`` is the system: demo, commands)."""
    if actor is not None and not actor.holds(P.ADMINISTER):
        raise PermissionDenied(_("Only administrators may change staff levels and cost rates."))


def _clean_level_fields(*, code: str, name: str, name_en: str, level: StaffLevel | None) -> dict[str, str]:
    values = {"code": (code or "").strip(), "name": (name or "").strip(), "name_en": (name_en or "").strip()}
    errors: dict[str, list[str]] = {}
    if not values["code"]:
        errors["code"] = [_("This field is required.")]
    elif len(values["code"]) > 40 or not all(c.isascii() and (c.isalnum() or c in "-_") for c in values["code"]):
        errors["code"] = [_("Use at most 40 letters, digits, hyphens or underscores.")]
    elif StaffLevel.objects.filter(code=values["code"]).exclude(pk=level.pk if level else None).exists():
        errors["code"] = [_("Another staff level has this code.")]
    if not values["name"]:
        errors["name"] = [_("This field is required.")]
    elif len(values["name"]) > 80:
        errors["name"] = [_("At most 80 characters.")]
    if len(values["name_en"]) > 80:
        errors["name_en"] = [_("At most 80 characters.")]
    if errors:
        raise ValidationFailed(_("The staff level is not valid."), field_errors=errors)
    return values


def _clean_rate(hourly_rate: Any) -> Decimal:
    try:
        rate = Decimal(str(hourly_rate).strip())
    except (InvalidOperation, ValueError):
        rate = None
    if rate is None or not rate.is_finite():
        raise ValidationFailed(_("Enter the cost per hour as a number."),
                               field_errors={"hourly_rate": [_("Enter a number such as 180.00.")]})
    if rate < 0:
        raise ValidationFailed(_("A cost per hour cannot be negative."),
                               field_errors={"hourly_rate": [_("Enter a value of at least 0.")]})
    if rate != rate.quantize(Decimal("0.01")) or rate >= Decimal("100000000"):
        raise ValidationFailed(_("Enter the cost per hour in yuan with at most two decimals."),
                               field_errors={"hourly_rate": [_("Enter a number such as 180.00.")]})
    return rate.quantize(Decimal("0.01"))


@transaction.atomic
def staff_level_create(*, actor: User | None, code: str, name: str, name_en: str = "", rank: int = 0,
                       hourly_rate: Any = None, effective_from: dt.date | None = None) -> StaffLevel:
    """A new staff level, with its first cost rate when one is given."""
    _require_admin(actor)
    values = _clean_level_fields(code=code, name=name, name_en=name_en, level=None)
    rate = _clean_rate(hourly_rate) if hourly_rate not in (None, "") else None
    if rate is not None and effective_from is None:
        raise ValidationFailed(_("Say from which date the rate applies."),
                               field_errors={"effective_from": [_("This field is required.")]})
    level = StaffLevel.objects.create(rank=rank, **values)
    if rate is not None:
        StaffLevelRate.objects.create(level=level, effective_from=effective_from, hourly_rate=rate,
                                      created_at=clock.now())
    audit_record(actor=actor, action="staff_level.created", subject=level, subject_type="staff_level", data={
        **values, "rank": rank,
        "rate": None if rate is None else {"hourly_rate": str(rate), "effective_from": effective_from.isoformat()},
    })
    return level


@transaction.atomic
def staff_level_update(*, actor: User | None, level: StaffLevel, code: str, name: str, name_en: str = "",
                       rank: int = 0) -> StaffLevel:
    _require_admin(actor)
    level = StaffLevel.objects.select_for_update().get(pk=level.pk)
    values: dict[str, Any] = {**_clean_level_fields(code=code, name=name, name_en=name_en, level=level), "rank": rank}
    changes = {field: [getattr(level, field), value] for field, value in values.items() if getattr(level, field) != value}
    if changes:
        for field, value in values.items():
            setattr(level, field, value)
        level.save(update_fields=list(values))
        audit_record(actor=actor, action="staff_level.changed", subject=level, subject_type="staff_level",
                     data={"changes": changes})
    return level


@transaction.atomic
def staff_level_rate_set(*, actor: User | None, level: StaffLevel, effective_from: dt.date | None,
                         hourly_rate: Any) -> StaffLevelRate:
    """The level costs ``hourly_rate`` per hour from ``effective_from`` on (until a later rate starts).

    A rate for a date that already has one replaces it (a correction); earlier rates stay as they were.
    """
    _require_admin(actor)
    if effective_from is None:
        raise ValidationFailed(_("Say from which date the rate applies."),
                               field_errors={"effective_from": [_("This field is required.")]})
    rate = _clean_rate(hourly_rate)
    level = StaffLevel.objects.select_for_update().get(pk=level.pk)
    row = StaffLevelRate.objects.filter(level=level, effective_from=effective_from).first()
    before = str(row.hourly_rate) if row else None
    if row is None:
        row = StaffLevelRate.objects.create(level=level, effective_from=effective_from, hourly_rate=rate,
                                            created_at=clock.now())
    elif row.hourly_rate != rate:
        row.hourly_rate = rate
        row.save(update_fields=["hourly_rate"])
    audit_record(actor=actor, action="staff_level.rate_set", subject=level, subject_type="staff_level", data={
        "effective_from": effective_from.isoformat(), "changes": {"hourly_rate": [before, str(rate)]},
    })
    return row


def _today() -> dt.date:
    return timezone.localdate(clock.now(), ZoneInfo(settings.TIME_ZONE))


@transaction.atomic
def user_staff_level_set(*, actor: User | None, user: User, level: StaffLevel | None,
                         effective_from: dt.date | None = None) -> User:
    """Put ``user`` on a staff level (or none) from ``effective_from`` on (default: today).

    Work logged before that date keeps the level it was done at; a date in the past re-prices the work
    since then (a late promotion). ``User.staff_level`` follows the level in effect today.
    """
    _require_admin(actor)
    effective_from = effective_from or _today()
    target = User.objects.select_for_update().get(pk=user.pk)
    row = UserStaffLevel.objects.filter(user=target, effective_from=effective_from).first()
    history_before = row.level.code if row and row.level_id else None
    if row is None:
        in_effect = UserStaffLevel.objects.filter(user=target, effective_from__lt=effective_from) \
            .order_by("-effective_from").first()
        history_before = in_effect.level.code if in_effect and in_effect.level_id else None
        UserStaffLevel.objects.create(user=target, level=level, effective_from=effective_from, created_at=clock.now())
    elif row.level_id != (level.pk if level else None):
        row.level = level
        row.save(update_fields=["level"])
    current = UserStaffLevel.objects.filter(user=target, effective_from__lte=_today()).order_by("-effective_from") \
        .select_related("level").first()
    current_level = current.level if current else None
    if target.staff_level_id != (current_level.pk if current_level else None):
        target.staff_level = current_level
        target.save(update_fields=["staff_level"])
    after = level.code if level else None
    if history_before != after or row is None:
        audit_record(actor=actor, action="user.staff_level_set", subject=target, organisation_id=target.organisation_id,
                     data={"effective_from": effective_from.isoformat(),
                           "changes": {"staff_level": [history_before, after]}})
    user.staff_level = current_level
    return target


# Sign-in ----------------------------------------------------------------------


def _throttle_key(username: str, ip: str) -> str:
    digest = hashlib.sha256(f"{username.lower()}|{ip}".encode()).hexdigest()
    return f"signin-failures:{digest}"


def user_sign_in(*, username: str, password: str, ip: str = "") -> User:
    """Check credentials, with throttling; record success and failure in the audit trail."""
    key = _throttle_key(username, ip)
    failures = cache.get(key, 0)
    if failures >= SIGN_IN_ATTEMPTS:
        audit_record(actor=None, action="user.sign_in_throttled", subject_type="user", data={"username": username})
        raise PermissionDenied(
            _("Too many failed sign-ins. Try again in %(minutes)d minutes.") % {"minutes": SIGN_IN_WINDOW_SECONDS // 60},
            code="throttled",
        )
    user = authenticate(username=username, password=password)
    if user is None:
        cache.set(key, failures + 1, SIGN_IN_WINDOW_SECONDS)
        audit_record(actor=None, action="user.sign_in_failed", subject_type="user", data={"username": username})
        raise ValidationFailed(_("The username or password is wrong."), code="bad_credentials")
    cache.delete(key)
    audit_record(actor=user, action="user.signed_in", subject=user, organisation_id=user.organisation_id)
    return user


# API tokens -------------------------------------------------------------------


@dataclass(frozen=True)
class IssuedToken:
    token: ApiToken
    secret: str  # shown once, never stored


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@transaction.atomic
def api_token_create(*, actor: User, name: str) -> IssuedToken:
    name = (name or "").strip()
    if not name:
        raise ValidationFailed(_("Give the token a name."), field_errors={"name": [_("This field is required.")]})
    if len(name) > 80:
        raise ValidationFailed(_("The name is too long."), field_errors={"name": [_("At most 80 characters.")]})
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=actor, name=name, prefix=secret[: len(TOKEN_PREFIX) + 6], digest=_digest(secret), created_at=clock.now()
    )
    audit_record(actor=actor, action="api_token.created", subject=token, subject_type="api_token",
                 organisation_id=actor.organisation_id, data={"name": name})
    return IssuedToken(token=token, secret=secret)


@transaction.atomic
def api_token_revoke(*, actor: User, token_id: int) -> ApiToken:
    token = ApiToken.objects.select_for_update().filter(pk=token_id, user=actor).first()
    if token is None:
        raise NotFound(_("No such token."))
    if token.revoked_at is None:
        token.revoked_at = clock.now()
        token.save(update_fields=["revoked_at"])
        audit_record(actor=actor, action="api_token.revoked", subject=token, subject_type="api_token",
                     organisation_id=actor.organisation_id, data={"name": token.name})
    return token


def api_token_authenticate(secret: str) -> User | None:
    """The active user a live (not revoked) token belongs to, or None; notes the token's use (at most every
    five minutes). Every API request runs this: its one query is written in SQL once, because building it
    through the ORM (the token joined to every column of its user) cost about 0.6 ms of CPU per request."""
    stale_before = clock.now() - dt.timedelta(minutes=5)
    found = next(iter(User.objects.raw(_token_user_sql(), [
        connection.ops.adapt_datetimefield_value(stale_before), _digest(secret)])), None)
    if found is None:
        return None
    if found.token_stale:
        ApiToken.objects.filter(pk=found.token_id).update(last_used_at=clock.now())
    return found


@functools.cache
def _token_user_sql() -> str:
    user, token, q = User._meta.db_table, ApiToken._meta.db_table, connection.ops.quote_name
    return (
        f"SELECT u.*, t.id AS token_id, (t.last_used_at IS NULL OR t.last_used_at < %s) AS token_stale "
        f"FROM {q(user)} u INNER JOIN {q(token)} t ON t.user_id = u.id "
        f"WHERE t.digest = %s AND t.revoked_at IS NULL AND u.is_active"
    )
