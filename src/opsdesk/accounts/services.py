"""Every write about accounts: organisations, users, groups, roles, tokens, sign-in."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from django.contrib.auth import authenticate
from django.core.cache import cache
from django.db import transaction
from django.utils.translation import gettext as _

from opsdesk.audit.services import audit_record
from opsdesk.core import clock
from opsdesk.core.errors import NotFound, PermissionDenied, ValidationFailed

from .models import ApiToken, GroupMembership, Organisation, RoleAssignment, SupportGroup, User

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
    token = ApiToken.objects.select_related("user").filter(digest=_digest(secret), revoked_at__isnull=True).first()
    if token is None or not token.user.is_active:
        return None
    now = clock.now()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 300:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user
