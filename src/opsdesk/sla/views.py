"""SLA pages: the administrator's agreements and operational targets, and a record's clock explanation
and recompute. Each view parses a form, calls one service or selector, and redirects or renders."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from opsdesk.accounts.roles import Permission as P
from opsdesk.core.errors import DomainError, NotFound
from opsdesk.incidents import rules as incident_rules
from opsdesk.incidents import selectors as incident_selectors
from opsdesk.ui.form_errors import add_domain_error

from . import selectors, services
from .forms import AgreementForm, OperationalTargetForm
from .models import OperationalTarget


def _forbidden(request: HttpRequest) -> HttpResponse:
    return render(request, "ui/error.html", {"status": 403, "message": _(
        "Only an administrator may change service level agreements.")}, status=403)


def _admin(request: HttpRequest) -> bool:
    return request.user.holds(P.ADMINISTER)


@login_required
@require_GET
def agreement_list(request: HttpRequest) -> HttpResponse:
    if not _admin(request):
        return _forbidden(request)
    q = request.GET.get("q", "").strip()
    return render(request, "sla/agreement_list.html", {
        "agreements": selectors.agreement_list(q=q), "q": q,
        "ola_targets": selectors.operational_target_list(), "ola_form": OperationalTargetForm(prefix="ola"),
    })


def _agreement_page(request: HttpRequest, agreement: Any, form: AgreementForm, status: int = 200) -> HttpResponse:
    return render(request, "sla/agreement_form.html", {"agreement": agreement, "form": form}, status=status)


@login_required
def agreement_edit(request: HttpRequest, agreement_id: int | None = None) -> HttpResponse:
    if not _admin(request):
        return _forbidden(request)
    agreement = None
    if agreement_id is not None:
        try:
            agreement = selectors.agreement_get(agreement_id=agreement_id)
        except NotFound:
            raise Http404(_("No such service level agreement."))
    if request.method != "POST":
        return _agreement_page(request, agreement, AgreementForm.for_agreement(agreement))
    form = AgreementForm(request.POST)
    if not form.is_valid():
        return _agreement_page(request, agreement, form, status=422)
    try:
        saved = services.agreement_save(actor=request.user, agreement=agreement, **form.service_arguments())
    except DomainError as error:
        add_domain_error(form, error)
        return _agreement_page(request, agreement, form, status=error.status)
    messages.success(request, _("Service level agreement %(name)s saved.") % {"name": saved.display_name})
    return redirect("ui:sla_agreement_list")


@login_required
@require_POST
def operational_target_add(request: HttpRequest) -> HttpResponse:
    if not _admin(request):
        return _forbidden(request)
    form = OperationalTargetForm(request.POST, prefix="ola")
    if form.is_valid():
        try:
            services.operational_target_save(actor=request.user, **form.cleaned_data)
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, _("Operational target saved."))
            return redirect("ui:sla_agreement_list")
    return render(request, "sla/agreement_list.html", {
        "agreements": selectors.agreement_list(), "q": "", "ola_targets": selectors.operational_target_list(),
        "ola_form": form,
    }, status=422)


@login_required
@require_POST
def operational_target_delete(request: HttpRequest, target_id: int) -> HttpResponse:
    if not _admin(request):
        return _forbidden(request)
    target = OperationalTarget.objects.filter(pk=target_id).select_related("group").first()
    if target is None:
        raise Http404(_("No such operational target."))
    services.operational_target_delete(actor=request.user, target=target)
    messages.success(request, _("Operational target removed."))
    return redirect("ui:sla_agreement_list")


def _visible_incident(request: HttpRequest, number: str) -> Any:
    try:
        return incident_selectors.incident_get(user=request.user, number=number)
    except NotFound:
        raise Http404(_("Incident %(number)s does not exist.") % {"number": number})


@login_required
@require_GET
def incident_explain(request: HttpRequest, number: str) -> HttpResponse:
    incident = _visible_incident(request, number)
    if not incident_rules.can_view_as_staff(request.user, incident):
        raise Http404(_("Incident %(number)s does not exist.") % {"number": number})
    # htmx swaps the fragment into the record; a plain GET (a new tab, no script) gets a whole page.
    template = "sla/_explain.html" if request.htmx else "sla/explain.html"
    return render(request, template, {
        "incident": incident, "explanation": selectors.incident_clock_explanation(incident)})


@login_required
@require_POST
def incident_recompute(request: HttpRequest, number: str) -> HttpResponse:
    incident = _visible_incident(request, number)
    try:
        changes = services.incident_clocks_recompute(actor=request.user, incident=incident.number)
    except DomainError as error:
        messages.error(request, str(error.message))
    else:
        messages.success(request, _("SLA clocks recomputed from the record's history.") if changes
                         else _("SLA clocks recomputed: nothing changed."))
    return redirect("ui:incident_detail", number=incident.number)
