"""Signing in and out, and the user's own profile with their API tokens."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from opsdesk.core.errors import DomainError

from . import selectors, services
from .forms import SignInForm, StaffLevelForm, StaffLevelRateForm, TokenForm, UserStaffLevelForm
from .middleware import client_ip
from .models import StaffLevel
from .roles import Permission as P
from .roles import Role


def _safe_next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                                  require_https=request.is_secure()):
        return target
    return ""


def _remember_language(request: HttpRequest, response: HttpResponse, language: str) -> None:
    """A browser that never chose a language gets the user's own (Simplified Chinese unless set otherwise)."""
    if settings.LANGUAGE_COOKIE_NAME in request.COOKIES:
        return
    if language in dict(settings.LANGUAGES):
        response.set_cookie(settings.LANGUAGE_COOKIE_NAME, language, max_age=settings.LANGUAGE_COOKIE_AGE,
                            samesite=settings.LANGUAGE_COOKIE_SAMESITE)


def sign_in(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated and request.method == "GET":
        return redirect(_safe_next(request) or "ui:home")
    form = SignInForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            try:
                user = services.user_sign_in(username=form.cleaned_data["username"],
                                             password=form.cleaned_data["password"], ip=client_ip(request))
            except DomainError as error:
                form.add_error(None, str(error.message))
                status = 429 if error.code == "throttled" else 422
            else:
                login(request, user, backend="django.contrib.auth.backends.ModelBackend")
                response = redirect(_safe_next(request) or "ui:home")
                _remember_language(request, response, user.language)
                return response
    return render(request, "accounts/sign_in.html", {"form": form, "next": _safe_next(request)}, status=status)


@require_POST
def sign_out(request: HttpRequest) -> HttpResponse:
    logout(request)
    messages.info(request, _("You have signed out."))
    return redirect("ui:login")


def _profile(request: HttpRequest, *, form: TokenForm | None = None, secret: str = "", status: int = 200) -> HttpResponse:
    user = request.user
    role_names = dict(Role.choices)
    grants = [(role_names.get(role, role), org_id) for role, org_id, _path, _desc in user.role_grants]
    organisations = {o.pk: o for o in selectors.organisation_list(user=user).filter(pk__in=[g[1] for g in grants])}
    return render(request, "accounts/profile.html", {
        "profile_user": user,
        "grants": [(role, organisations.get(org_id)) for role, org_id in grants],
        "groups": selectors.group_list(user=user).filter(pk__in=sorted(user.support_group_ids)),
        "tokens": selectors.api_token_list(user=user),
        "token_form": form or TokenForm(),
        "secret": secret,
        "perms_admin": user.holds(P.ADMINISTER),
    }, status=status)


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    return _profile(request)


@login_required
@require_POST
def token_create(request: HttpRequest) -> HttpResponse:
    form = TokenForm(request.POST)
    if not form.is_valid():
        return _profile(request, form=form, status=422)
    try:
        issued = services.api_token_create(actor=request.user, name=form.cleaned_data["name"])
    except DomainError as error:
        for field, errors in error.field_errors.items():
            for message in errors:
                form.add_error(field if field in form.fields else None, str(message))
        if not error.field_errors:
            form.add_error(None, str(error.message))
        return _profile(request, form=form, status=error.status)
    # The secret is shown in this response only; it is never stored and cannot be shown again.
    return _profile(request, secret=issued.secret)


@login_required
@require_POST
def token_revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    try:
        token = services.api_token_revoke(actor=request.user, token_id=token_id)
    except DomainError as error:
        messages.error(request, str(error.message))
    else:
        messages.success(request, _("The token “%(name)s” is revoked.") % {"name": token.name})
    return redirect("ui:profile")


# Staff levels and cost rates (administrators) ------------------------------------------------------------


def _apply_errors(form: Any, error: DomainError) -> None:
    for field, errors in error.field_errors.items():
        for message in errors:
            form.add_error(field if field in form.fields else None, str(message))
    if not error.field_errors:
        form.add_error(None, str(error.message))


def _staff_levels(request: HttpRequest, *, level_form: StaffLevelForm | None = None,
                  rate_forms: dict[int, StaffLevelRateForm] | None = None,
                  user_form: UserStaffLevelForm | None = None, status: int = 200) -> HttpResponse:
    levels = list(selectors.staff_level_list())
    rate_forms = rate_forms or {}
    users = selectors.user_list(user=request.user).select_related("staff_level")
    return render(request, "accounts/staff_levels.html", {
        "levels": [(level, rate_forms.get(level.pk) or StaffLevelRateForm(prefix=f"rate-{level.pk}"))
                   for level in levels],
        "level_form": level_form or StaffLevelForm(),
        "user_form": user_form or UserStaffLevelForm(users=users, levels=selectors.staff_level_list()),
        "people": [u for u in users if u.staff_level_id],
    }, status=status)


def _admin_only(request: HttpRequest) -> HttpResponse | None:
    if not request.user.holds(P.ADMINISTER):
        return render(request, "ui/error.html", {"status": 403, "message": _(
            "Only administrators may change staff levels and cost rates.")}, status=403)
    return None


@login_required
def staff_levels(request: HttpRequest) -> HttpResponse:
    return _admin_only(request) or _staff_levels(request)


@login_required
@require_POST
def staff_level_create(request: HttpRequest) -> HttpResponse:
    if denied := _admin_only(request):
        return denied
    form = StaffLevelForm(request.POST)
    if not form.is_valid():
        return _staff_levels(request, level_form=form, status=422)
    data = form.cleaned_data
    try:
        level = services.staff_level_create(actor=request.user, code=data["code"], name=data["name"],
                                            name_en=data["name_en"], rank=data["rank"] or 0,
                                            hourly_rate=data["hourly_rate"], effective_from=data["effective_from"])
    except DomainError as error:
        _apply_errors(form, error)
        return _staff_levels(request, level_form=form, status=error.status)
    messages.success(request, _("The staff level “%(name)s” is created.") % {"name": level.name})
    return redirect("ui:staff_levels")


@login_required
@require_POST
def staff_level_rate_add(request: HttpRequest, level_id: int) -> HttpResponse:
    if denied := _admin_only(request):
        return denied
    level = StaffLevel.objects.filter(pk=level_id).first()
    if level is None:
        return render(request, "ui/error.html", {"status": 404}, status=404)
    form = StaffLevelRateForm(request.POST, prefix=f"rate-{level.pk}")
    if not form.is_valid():
        return _staff_levels(request, rate_forms={level.pk: form}, status=422)
    try:
        services.staff_level_rate_set(actor=request.user, level=level, effective_from=form.cleaned_data["effective_from"],
                                      hourly_rate=form.cleaned_data["hourly_rate"])
    except DomainError as error:
        _apply_errors(form, error)
        return _staff_levels(request, rate_forms={level.pk: form}, status=error.status)
    messages.success(request, _("The new rate of “%(name)s” is saved.") % {"name": level.name})
    return redirect("ui:staff_levels")


@login_required
@require_POST
def user_staff_level_set(request: HttpRequest) -> HttpResponse:
    if denied := _admin_only(request):
        return denied
    form = UserStaffLevelForm(request.POST, users=selectors.user_list(user=request.user),
                              levels=selectors.staff_level_list())
    if not form.is_valid():
        return _staff_levels(request, user_form=form, status=422)
    try:
        person = services.user_staff_level_set(actor=request.user, user=form.cleaned_data["user"],
                                               level=form.cleaned_data["level"],
                                               effective_from=form.cleaned_data["effective_from"])
    except DomainError as error:
        _apply_errors(form, error)
        return _staff_levels(request, user_form=form, status=error.status)
    messages.success(request, _("The staff level of %(person)s is saved.") % {"person": person})
    return redirect("ui:staff_levels")
