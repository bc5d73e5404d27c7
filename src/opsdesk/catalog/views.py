"""The catalogue administration pages: the application catalogue, service products with their category trees
and SLA, routing rules and the priority matrix.

Each view parses a form, calls one service and redirects; a DomainError comes back to the same page with what
the user typed kept and each field's error next to it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from opsdesk.accounts.roles import Permission as P
from opsdesk.core.errors import DomainError, ValidationFailed
from opsdesk.incidents.choices import Urgency
from opsdesk.sla.selectors import agreement_for_service
from opsdesk.ui.form_errors import add_domain_error

from . import selectors, services
from .forms import (
    ApplicationNodeForm,
    CategoryForm,
    DeactivateForm,
    PriorityMatrixForm,
    RoutingChoices,
    RoutingRuleForm,
    ServiceForm,
)
from .models import ApplicationNode, Category, RoutingRule, Service


def _forbidden(request: HttpRequest, message: str) -> HttpResponse:
    return render(request, "ui/error.html", {"status": 403, "message": message}, status=403)


def _admin_only(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.holds(P.ADMINISTER):
            return _forbidden(request, _("Only administrators may change the service catalogue."))
        return view(request, *args, **kwargs)

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return login_required(wrapped)


def _routing_only(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.holds(P.ROUTING_MANAGE):
            return _forbidden(request, _("You may not maintain routing rules."))
        return view(request, *args, **kwargs)

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return login_required(wrapped)


def _get(model: type, pk: int) -> Any:
    found = model._default_manager.filter(pk=pk).first()
    if found is None:
        raise Http404(_("This page does not exist, or you may not see it."))
    return found


def _page_error(error: DomainError, form: forms.Form) -> str:
    """What the page's top says: nothing when every message sits next to its field."""
    placed = isinstance(error, ValidationFailed) and all(field in form.fields for field in error.field_errors)
    return "" if placed and error.field_errors else str(error.message)


def _submit(request: HttpRequest, form: forms.Form, call: Callable[[], Any],
            again: Callable[[forms.Form, int, str], HttpResponse]) -> HttpResponse | None:
    """Call the service with a valid form; on failure render ``again`` with the form and the status."""
    if not form.is_valid():
        return again(form, 422, "")
    try:
        call()
    except DomainError as error:
        add_domain_error(form, error)
        return again(form, error.status, _page_error(error, form))
    return None


# The application catalogue ---------------------------------------------------------------------


@_admin_only
def catalogue(request: HttpRequest) -> HttpResponse:
    """The catalogue as a tree: each node with its owner group and services; services on no node below."""
    return render(request, "catalog/catalogue.html", {
        "tree": selectors.application_tree(),
        "unplaced": selectors.service_list(active_only=False).filter(application__isnull=True),
        "tab": "catalogue",
    })


def _node_page(request: HttpRequest, form: ApplicationNodeForm, node: ApplicationNode | None, status: int = 200,
               page_error: str = "") -> HttpResponse:
    return render(request, "catalog/node_form.html", {
        "form": form, "node": node, "page_error": page_error, "tab": "catalogue",
        "children": list(node.children.all()) if node else [], "services": list(node.services.all()) if node else [],
    }, status=status)


@_admin_only
def node_new(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        parent = request.GET.get("parent", "")
        return _node_page(request, ApplicationNodeForm(initial={"parent": parent if parent.isdigit() else ""}), None)
    form = ApplicationNodeForm(request.POST)
    created: list[ApplicationNode] = []
    failed = _submit(request, form, lambda: created.append(services.application_node_create(
        actor=request.user, **form.cleaned_data)), lambda f, status, error: _node_page(request, f, None, status, error))
    if failed:
        return failed
    messages.success(request, _("%(node)s is added to the catalogue.") % {"node": created[0]})
    return redirect("ui:catalogue")


@_admin_only
def node_edit(request: HttpRequest, node_id: int) -> HttpResponse:
    node = _get(ApplicationNode, node_id)
    if request.method != "POST":
        return _node_page(request, ApplicationNodeForm.for_node(node), node)
    form = ApplicationNodeForm(request.POST, node=node)
    failed = _submit(request, form, lambda: services.application_node_update(
        actor=request.user, node=node, **form.cleaned_data),
        lambda f, status, error: _node_page(request, f, node, status, error))
    if failed:
        return failed
    messages.success(request, _("Your changes are saved."))
    return redirect("ui:catalogue")


def _deactivate(request: HttpRequest, subject: Any, deactivate: Callable[[bool], Any], *, tab: str,
                back: str, back_id: int | None, done: str) -> HttpResponse:
    """Deactivate ``subject``; one with active parts below asks to confirm first (on its own page)."""
    form = DeactivateForm(request.POST)
    form.is_valid()
    back_url = reverse(back, args=[back_id] if back_id is not None else [])
    try:
        deactivate(form.cleaned_data.get("cascade", False))
    except ValidationFailed as error:
        if "cascade" not in error.field_errors:
            messages.error(request, str(error.message))
            return redirect(back_url)
        return render(request, "catalog/confirm_deactivate.html", {
            "subject": subject, "message": error.message, "action": request.path, "tab": tab,
            "back": back, "back_id": back_id}, status=422)
    messages.success(request, done)
    return redirect(back_url)


@_admin_only
@require_POST
def node_deactivate(request: HttpRequest, node_id: int) -> HttpResponse:
    node = _get(ApplicationNode, node_id)
    return _deactivate(
        request, node, lambda cascade: services.application_node_deactivate(
            actor=request.user, node=node, cascade=cascade),
        tab="catalogue", back="ui:catalogue", back_id=None, done=_("%(node)s is deactivated.") % {"node": node})


@_admin_only
@require_POST
def node_reactivate(request: HttpRequest, node_id: int) -> HttpResponse:
    node = _get(ApplicationNode, node_id)
    try:
        services.application_node_reactivate(actor=request.user, node=node)
    except DomainError as error:
        messages.error(request, str(error.message))
    else:
        messages.success(request, _("%(node)s is active again.") % {"node": node})
    return redirect("ui:catalogue")


# Service products and their category trees -----------------------------------------------------


def _agreement_of(service: Service) -> Any:
    return agreement_for_service(service)


@_admin_only
def service_list(request: HttpRequest) -> HttpResponse:
    return render(request, "catalog/service_list.html", {
        "services": selectors.service_list(active_only=False, q=request.GET.get("q", "").strip()),
        "q": request.GET.get("q", ""), "tab": "services"})


def _service_page(request: HttpRequest, service: Service | None, form: ServiceForm, *, status: int = 200,
                  page_error: str = "", bound: dict[str, forms.Form] | None = None, open_row: str = "") -> HttpResponse:
    bound = bound or {}
    context: dict[str, Any] = {"service": service, "form": form, "page_error": page_error, "tab": "services",
                               "open_row": open_row}
    if service is not None:
        rows = selectors.category_tree_rows(service=service)
        active = [row for row in rows if row.category.is_active]  # deactivation takes the subtree along
        context["category_rows"] = [
            (row, bound.get(f"category-{row.category.pk}") or CategoryForm.for_category(
                row.category, prefix=f"category-{row.category.pk}", rows=active)) for row in rows]
        context["category_form"] = bound.get("category-new") or CategoryForm(service=service, prefix="category-new",
                                                                              rows=active)
        context["rules"] = selectors.routing_rule_list(service_id=service.pk)
    return render(request, "catalog/service_form.html", context, status=status)


@_admin_only
def service_new(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        node = request.GET.get("application", "")
        return _service_page(request, None, ServiceForm(initial={"application": node if node.isdigit() else ""}))
    form = ServiceForm(request.POST)
    created: list[Service] = []
    failed = _submit(request, form, lambda: created.append(services.service_create(
        actor=request.user, **form.service_arguments())),
        lambda f, status, error: _service_page(request, None, f, status=status, page_error=error))
    if failed:
        return failed
    messages.success(request, _("%(service)s is added to the catalogue.") % {"service": created[0]})
    return redirect("ui:catalogue_service", service_id=created[0].pk)


@_admin_only
def service_edit(request: HttpRequest, service_id: int) -> HttpResponse:
    service = _get(Service, service_id)
    if request.method != "POST":
        return _service_page(request, service, ServiceForm.for_service(service, _agreement_of(service)))
    form = ServiceForm(request.POST, agreement=_agreement_of(service))
    failed = _submit(request, form, lambda: services.service_update(
        actor=request.user, service=service, **form.service_arguments()),
        lambda f, status, error: _service_page(request, service, f, status=status, page_error=error))
    if failed:
        return failed
    messages.success(request, _("Your changes are saved."))
    return redirect("ui:catalogue_service", service_id=service.pk)


@_admin_only
@require_POST
def category_new(request: HttpRequest, service_id: int) -> HttpResponse:
    service = _get(Service, service_id)
    form = CategoryForm(request.POST, service=service, prefix="category-new")
    failed = _submit(request, form, lambda: services.category_create(
        actor=request.user, service=service, **form.cleaned_data),
        lambda f, status, error: _service_page(
            request, service, ServiceForm.for_service(service, _agreement_of(service)), status=status,
            page_error=error, bound={"category-new": f}, open_row="category-new"))
    if failed:
        return failed
    messages.success(request, _("Category added."))
    return redirect("ui:catalogue_service", service_id=service.pk)


@_admin_only
@require_POST
def category_edit(request: HttpRequest, category_id: int) -> HttpResponse:
    category = _get(Category, category_id)
    service = category.service
    key = f"category-{category.pk}"
    form = CategoryForm(request.POST, service=service, category=category, prefix=key)
    failed = _submit(request, form, lambda: services.category_update(
        actor=request.user, category=category, **form.cleaned_data),
        lambda f, status, error: _service_page(
            request, service, ServiceForm.for_service(service, _agreement_of(service)), status=status,
            page_error=error, bound={key: f}, open_row=key))
    if failed:
        return failed
    messages.success(request, _("Your changes are saved."))
    return redirect("ui:catalogue_service", service_id=service.pk)


@_admin_only
@require_POST
def category_deactivate(request: HttpRequest, category_id: int) -> HttpResponse:
    category = _get(Category, category_id)
    return _deactivate(
        request, category, lambda cascade: services.category_deactivate(
            actor=request.user, category=category, cascade=cascade),
        tab="services", back="ui:catalogue_service", back_id=category.service_id,
        done=_("%(category)s is no longer offered.") % {"category": category})


@_admin_only
@require_POST
def category_reactivate(request: HttpRequest, category_id: int) -> HttpResponse:
    category = _get(Category, category_id)
    try:
        services.category_reactivate(actor=request.user, category=category)
    except DomainError as error:
        messages.error(request, str(error.message))
    else:
        messages.success(request, _("%(category)s is offered again.") % {"category": category})
    return redirect("ui:catalogue_service", service_id=category.service_id)


# Routing rules ---------------------------------------------------------------------------------


def _routing_page(request: HttpRequest, *, bound: dict[str, forms.Form] | None = None, status: int = 200,
                  page_error: str = "", open_row: str = "") -> HttpResponse:
    bound = bound or {}
    service_id = request.GET.get("service", "")
    rules = selectors.routing_rule_list(service_id=int(service_id) if service_id.isdigit() else None)
    choices = RoutingChoices.read()
    return render(request, "catalog/routing.html", {
        "rows": [(rule, bound.get(f"rule-{rule.pk}") or RoutingRuleForm.for_rule(rule, prefix=f"rule-{rule.pk}",
                                                                                 choices=choices))
                 for rule in rules],
        "form": bound.get("rule-new") or RoutingRuleForm(prefix="rule-new", choices=choices),
        "services": selectors.service_list(), "service_id": service_id,
        "page_error": page_error, "open_row": open_row, "tab": "routing",
    }, status=status)


@_routing_only
def routing_rules(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return _routing_page(request)
    form = RoutingRuleForm(request.POST, prefix="rule-new")

    def call() -> Any:
        data = dict(form.cleaned_data)
        data.pop("is_active")
        return services.routing_rule_create(actor=request.user, **data)

    failed = _submit(request, form, call, lambda f, status, error: _routing_page(
        request, bound={"rule-new": f}, status=status, page_error=error, open_row="rule-new"))
    if failed:
        return failed
    messages.success(request, _("Routing rule added."))
    return redirect("ui:routing_rules")


@_routing_only
@require_POST
def routing_rule_edit(request: HttpRequest, rule_id: int) -> HttpResponse:
    rule = _get(RoutingRule, rule_id)
    key = f"rule-{rule.pk}"
    form = RoutingRuleForm(request.POST, prefix=key)

    def call() -> Any:
        data = dict(form.cleaned_data)
        if data.pop("service") != rule.service:
            raise ValidationFailed(_("A rule stays with its service; add a new rule for another service."),
                                   field_errors={"service": [_("A rule stays with its service; add a new rule for "
                                                               "another service.")]})
        return services.routing_rule_update(actor=request.user, rule=rule, **data)

    failed = _submit(request, form, call, lambda f, status, error: _routing_page(
        request, bound={key: f}, status=status, page_error=error, open_row=key))
    if failed:
        return failed
    messages.success(request, _("Your changes are saved."))
    return redirect("ui:routing_rules")


@_routing_only
@require_POST
def routing_rule_delete(request: HttpRequest, rule_id: int) -> HttpResponse:
    rule = _get(RoutingRule, rule_id)
    try:
        services.routing_rule_delete(actor=request.user, rule=rule)
    except DomainError as error:
        return _routing_page(request, status=error.status, page_error=str(error.message))
    messages.success(request, _("Routing rule removed."))
    return redirect("ui:routing_rules")


# The priority matrix ---------------------------------------------------------------------------


def _matrix_page(request: HttpRequest, form: PriorityMatrixForm, status: int = 200, page_error: str = "") -> HttpResponse:
    return render(request, "catalog/priority_matrix.html", {
        "form": form, "urgencies": [u.label for u in Urgency], "page_error": page_error, "tab": "priority"},
        status=status)


@_admin_only
def priority_matrix(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return _matrix_page(request, PriorityMatrixForm.for_matrix(selectors.priority_matrix()))
    form = PriorityMatrixForm(request.POST)
    failed = _submit(request, form, lambda: services.priority_matrix_set(actor=request.user, cells=form.cells()),
                     lambda f, status, error: _matrix_page(request, f, status, error))
    if failed:
        return failed
    messages.success(request, _("The priority matrix is saved; new and re-classified incidents use it."))
    return redirect("ui:priority_matrix")
