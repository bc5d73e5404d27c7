"""The CMDB pages: classes and attributes, CIs (list, filter builder, export, detail, forms, lifecycle,
relations, impact, history), the two maps, the warranty report, the Excel import wizard and the
incident record's "Affected CIs" panel (loaded with htmx into the incident page).

Each view parses a form, calls one service (``services``, ``importing``, ``exporting``) or reads
through ``selectors`` / ``maps``, and redirects or renders. A DomainError comes back to the same page
with what the user typed kept and the error next to its field.
"""

from __future__ import annotations

import io
import time
import uuid
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from opsdesk.accounts.models import Organisation
from opsdesk.catalog import selectors as catalog_selectors
from opsdesk.catalog.models import ApplicationNode, Service
from opsdesk.core import clock
from opsdesk.core.errors import DomainError, NotFound, PermissionDenied, StaleVersion, ValidationFailed
from opsdesk.incidents import rules as incident_rules
from opsdesk.incidents import selectors as incident_selectors
from opsdesk.incidents.models import Incident
from opsdesk.ui.form_errors import add_domain_error
from opsdesk.ui.naming import localized_name

from . import maps, rules, selectors, services
from .choices import CIState, RelationKind
from .forms import (
    AttributeEditForm,
    AttributeForm,
    CIClassEditForm,
    CIClassForm,
    CIFilterForm,
    CIForm,
    CustodyForm,
    ImportUploadForm,
    RelationForm,
    TransitionForm,
    add_ci_error,
    attribute_conditions,
    mapping_form,
)
from .history import build_ci_timeline
from .models import AttributeDefinition, CIClass, ConfigurationItem

PAGE_SIZE = 50
WARRANTY_DAYS = 90


def _forbidden(request: HttpRequest, message: str) -> HttpResponse:
    return render(request, "ui/error.html", {"status": 403, "message": message}, status=403)


def _staff(request: HttpRequest) -> bool:
    return bool(rules.readable_organisation_ids(request.user))


def _ci_or_404(request: HttpRequest, ci_id: int, *, for_update: bool = False) -> ConfigurationItem:
    try:
        return selectors.ci_get(user=request.user, ci_id=ci_id, for_update=for_update)
    except NotFound as error:
        raise Http404(str(error.message))


def _class_or_404(class_id: int) -> CIClass:
    try:
        return selectors.ci_class_get(class_id=class_id)
    except NotFound as error:
        raise Http404(str(error.message))


# Classes and attributes ---------------------------------------------------------------------------


@login_required
def class_list(request: HttpRequest) -> HttpResponse:
    if not _staff(request):
        return _forbidden(request, _("Only staff see the CMDB."))
    can_configure = rules.can_configure(request.user)
    form = CIClassForm(request.POST or None) if can_configure else None
    status = 200
    if request.method == "POST":
        if not can_configure:
            return _forbidden(request, _("Only configuration managers and administrators define CI classes."))
        if form.is_valid():
            try:
                ci_class = services.ci_class_create(actor=request.user, **form.service_arguments())
            except DomainError as error:
                add_domain_error(form, error)
                status = error.status
            else:
                messages.success(request, _("Class %(name)s created.") % {"name": localized_name(ci_class)})
                return redirect("ui:cmdb_class_detail", class_id=ci_class.pk)
        else:
            status = 422
    classes = list(selectors.ci_class_list())
    tree = selectors.class_tree()
    rows = sorted(({"ci_class": c, "depth": len(tree.lineage(c.pk)) - 1,
                    "path": [tree.codes.get(i, "") for i in reversed(tree.lineage(c.pk))]} for c in classes),
                  key=lambda row: row["path"])
    return render(request, "cmdb/class_list.html", {"rows": rows, "form": form, "can_configure": can_configure},
                  status=status)


@login_required
def class_detail(request: HttpRequest, class_id: int) -> HttpResponse:
    if not _staff(request):
        return _forbidden(request, _("Only staff see the CMDB."))
    ci_class = _class_or_404(class_id)
    can_configure = rules.can_configure(request.user)
    form = AttributeForm(request.POST or None, prefix="attr") if can_configure else None
    status = 200
    if request.method == "POST":
        if not can_configure:
            return _forbidden(request, _("Only configuration managers and administrators define attributes."))
        if form.is_valid():
            try:
                services.attribute_define(actor=request.user, ci_class=ci_class, **form.service_arguments())
            except DomainError as error:
                add_domain_error(form, error)
                status = error.status
            else:
                messages.success(request, _("Attribute added."))
                return redirect("ui:cmdb_class_detail", class_id=ci_class.pk)
        else:
            status = 422
    return render(request, "cmdb/class_detail.html", {
        "ci_class": ci_class, "attributes": selectors.class_attributes(ci_class), "form": form,
        "can_configure": can_configure, "open_form": request.method == "POST",
        "edit_form": CIClassEditForm(prefix="class", initial=CIClassEditForm.initial_for(ci_class))
        if can_configure else None,
        "children": CIClass.objects.filter(parent=ci_class).order_by("code"),
    }, status=status)


@login_required
@require_POST
def class_edit(request: HttpRequest, class_id: int) -> HttpResponse:
    ci_class = _class_or_404(class_id)
    if not rules.can_configure(request.user):
        return _forbidden(request, _("Only configuration managers and administrators define CI classes."))
    form = CIClassEditForm(request.POST, prefix="class")
    if form.is_valid():
        try:
            services.ci_class_update(actor=request.user, ci_class=ci_class, **form.cleaned_data)
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, _("Your changes are saved."))
            return redirect("ui:cmdb_class_detail", class_id=ci_class.pk)
    return render(request, "cmdb/class_detail.html", {
        "ci_class": ci_class, "attributes": selectors.class_attributes(ci_class),
        "form": AttributeForm(prefix="attr"), "edit_form": form, "open_edit": True, "can_configure": True,
        "children": CIClass.objects.filter(parent=ci_class).order_by("code"),
    }, status=422)


@login_required
@require_http_methods(["GET", "POST"])
def attribute_edit(request: HttpRequest, class_id: int, attribute_id: int) -> HttpResponse:
    ci_class = _class_or_404(class_id)
    if not rules.can_configure(request.user):
        return _forbidden(request, _("Only configuration managers and administrators define attributes."))
    attribute = next((a.definition for a in selectors.class_attributes(ci_class)
                      if a.definition.pk == attribute_id and not a.inherited), None)
    if attribute is None:
        raise Http404(_("This class has no such attribute."))
    if request.method == "POST":
        form = AttributeEditForm(request.POST, attribute=attribute)
        if form.is_valid():
            try:
                services.attribute_update(actor=request.user, attribute=attribute, **form.service_arguments())
            except DomainError as error:
                add_domain_error(form, error)
            else:
                messages.success(request, _("Your changes are saved."))
                return redirect("ui:cmdb_class_detail", class_id=ci_class.pk)
        return render(request, "cmdb/attribute_edit.html", {"form": form, "ci_class": ci_class,
                                                            "attribute": attribute}, status=422)
    form = AttributeEditForm(attribute=attribute, initial=AttributeEditForm.initial_for(attribute))
    return render(request, "cmdb/attribute_edit.html", {"form": form, "ci_class": ci_class, "attribute": attribute})


# CI list, filters, export -------------------------------------------------------------------------


def _ci_filter(request: HttpRequest) -> tuple[CIFilterForm, selectors.CIFilter, list[tuple[str, str]]]:
    form = CIFilterForm(request.GET or None)
    conditions = attribute_conditions(request.GET)
    data = form.cleaned_data if form.is_valid() else {}
    attrs: dict[str, str] = {}
    for key, value in request.GET.items():
        if key.startswith("attr."):
            attrs[key[5:]] = value
    for code, value in conditions:
        attrs[code] = value
    filters = selectors.CIFilter(
        ci_class=data["ci_class"].pk if data.get("ci_class") else None,
        organisation=data["organisation"].pk if data.get("organisation") else None,
        state=[data["state"]] if data.get("state") else None, q=data.get("q", ""), attrs=attrs,
        service=data["service"].pk if data.get("service") else None, application=data.get("application"),
    )
    return form, filters, conditions


def _query_without(request: HttpRequest, *names: str) -> str:
    query = request.GET.copy()
    for name in names:
        query.pop(name, None)
    return query.urlencode()


def _attribute_choices(ci_class: CIClass | None) -> list[tuple[str, str]]:
    """The attributes the filter builder offers: the chosen class's (inherited too), else every one."""
    if ci_class is not None:
        return [(a.definition.code, f"{a.definition.display_name} ({a.definition.code})")
                for a in selectors.class_attributes(ci_class)]
    seen: dict[str, str] = {}
    for definition in AttributeDefinition.objects.order_by("code", "id"):
        seen.setdefault(definition.code, f"{definition.display_name} ({definition.code})")
    return sorted(seen.items(), key=lambda pair: pair[1])


@login_required
@require_GET
def ci_list(request: HttpRequest) -> HttpResponse:
    if not _staff(request):
        return _forbidden(request, _("Only staff see the CMDB."))
    form, filters, conditions = _ci_filter(request)
    error = ""
    try:
        queryset = selectors.ci_list(user=request.user, filters=filters)
        rows, next_cursor = selectors.paginate(queryset, cursor=request.GET.get("cursor") or None, limit=PAGE_SIZE)
    except ValidationFailed as failure:
        error = "; ".join(m for ms in failure.field_errors.values() for m in ms) or str(failure.message)
        rows, next_cursor = [], None
    chosen_class = form.cleaned_data.get("ci_class") if form.is_bound and form.is_valid() else None
    context = {
        "form": form, "rows": rows, "next_cursor": next_cursor, "filter_error": error,
        "conditions": conditions or [("", "")], "attribute_choices": _attribute_choices(chosen_class),
        "base_query": _query_without(request, "cursor"), "paged": bool(request.GET.get("cursor")),
        "export_query": _query_without(request, "cursor"),
        "can_write": bool(rules.writable_organisation_ids(request.user)),
        "can_configure": rules.can_configure(request.user),
    }
    template = "cmdb/_ci_table.html" if request.htmx and request.htmx.target == "ci-results" else "cmdb/ci_list.html"
    return render(request, template, context, status=422 if error else 200)


@login_required
@require_GET
def ci_export(request: HttpRequest) -> HttpResponse:
    if not _staff(request):
        return _forbidden(request, _("Only staff see the CMDB."))
    from . import exporting

    _form, filters, _conditions = _ci_filter(request)
    try:
        content = exporting.export_cis(user=request.user, filters=filters)
    except DomainError as error:
        messages.error(request, str(error.message))
        return redirect(reverse("ui:cmdb_ci_list") + "?" + _query_without(request, "cursor"))
    stamp = clock.now().strftime("%Y%m%d-%H%M")
    response = HttpResponse(content, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f'attachment; filename="cmdb-{stamp}.xlsx"'
    return response


@login_required
@require_GET
def ci_options(request: HttpRequest) -> HttpResponse:
    """Search CIs by name for a picker (relations, the incident panel): <option>s. A multiple picker (the record
    form's affected CIs) sends its chosen ``cis`` along: they come first, still chosen, and the matches after them."""
    q = request.GET.get("ci_q", "").strip() or request.GET.get("q", "").strip()
    chosen_ids = [int(v) for v in request.GET.getlist("cis") if v.strip().isdigit()]
    chosen = list(selectors.ci_list(user=request.user).filter(pk__in=chosen_ids)) if chosen_ids else []
    rows = list(selectors.ci_list(user=request.user, filters=selectors.CIFilter(q=q))
                .exclude(pk__in=[ci.pk for ci in chosen])[:30]) if q else []
    return render(request, "cmdb/_ci_options.html", {"rows": rows, "q": q, "chosen": chosen})


# CI detail ---------------------------------------------------------------------------------------


def _attribute_rows(ci: ConfigurationItem) -> list[dict[str, Any]]:
    rows = []
    values = ci.attributes or {}
    references = {}
    for attribute in selectors.class_attributes(ci.ci_class):
        definition = attribute.definition
        value = values.get(definition.code)
        if definition.type == "reference" and value:
            references[definition.code] = value
        rows.append({"definition": definition, "value": value, "inherited": attribute.inherited,
                     "defined_on": attribute.defined_on})
    if references:
        names = dict(ConfigurationItem.objects.filter(pk__in=list(references.values())).values_list("id", "name"))
        for row in rows:
            if row["definition"].code in references:
                row["reference"] = (row["value"], names.get(row["value"], f"#{row['value']}"))
    return rows


def render_ci_detail(request: HttpRequest, ci: ConfigurationItem, *, bound: dict[str, Any] | None = None,
                     open_panel: str = "", status: int = 200) -> HttpResponse:
    bound = bound or {}
    user = request.user
    can_write = rules.can_write(user, ci.organisation_id)
    transitions = selectors.ci_transitions(user=user, ci=ci)
    impact = selectors.impact_of(user=user, ci=ci, limit=50)
    context = {
        "ci": ci,
        "attribute_rows": _attribute_rows(ci),
        "relations": selectors.ci_relations(user=user, ci=ci),
        "impact": impact,
        "incidents": selectors.ci_incidents(user=user, ci=ci),
        "timeline": build_ci_timeline(selectors.ci_timeline(user=user, ci=ci)),
        "transitions": [(t, bound.get(t.name) or TransitionForm(prefix=t.name, initial={"version": ci.version}))
                        for t in transitions],
        "relation_form": bound.get("relation") or RelationForm(prefix="relation"),
        "custody_form": bound.get("custody") or CustodyForm(prefix="custody"),
        "custody_agreements": list(ci.custody_agreements.select_related("custodian")),
        "can_write": can_write,
        "open_panel": open_panel,
        "relation_kinds": RelationKind.choices,
        "today": clock.now().date(),
    }
    return render(request, "cmdb/ci_detail.html", context, status=status)


@login_required
@require_GET
def ci_detail(request: HttpRequest, ci_id: int) -> HttpResponse:
    if not _staff(request):
        return _forbidden(request, _("Only staff see the CMDB."))
    return render_ci_detail(request, _ci_or_404(request, ci_id))


def _ci_act(request: HttpRequest, ci_id: int, *, key: str, form: Any, call: Any, done: str) -> HttpResponse:
    ci = _ci_or_404(request, ci_id)
    if not form.is_valid():
        return render_ci_detail(request, ci, bound={key: form}, open_panel=key, status=422)
    try:
        call(ci, form)
    except DomainError as error:
        add_domain_error(form, error)
        return render_ci_detail(request, ci, bound={key: form}, open_panel=key, status=error.status)
    messages.success(request, done)
    return redirect("ui:cmdb_ci_detail", ci_id=ci.pk)


@login_required
@require_POST
def ci_transition(request: HttpRequest, ci_id: int, name: str) -> HttpResponse:
    form = TransitionForm(request.POST, prefix=name)
    return _ci_act(request, ci_id, key=name, form=form, done=_("The state is changed."),
                   call=lambda ci, f: services.ci_transition(
                       actor=request.user, ci=ci, transition=name, reason=f.cleaned_data["reason"],
                       version=f.cleaned_data.get("version")))


@login_required
@require_POST
def relation_add(request: HttpRequest, ci_id: int) -> HttpResponse:
    form = RelationForm(request.POST, prefix="relation")

    def call(ci: ConfigurationItem, f: RelationForm) -> Any:
        other = _ci_or_404(request, f.cleaned_data["other"])
        source, target = (ci, other) if f.cleaned_data["direction"] == "out" else (other, ci)
        return services.relation_create(actor=request.user, source=source, target=target,
                                        kind=f.cleaned_data["kind"], description=f.cleaned_data["description"])

    return _ci_act(request, ci_id, key="relation", form=form, call=call, done=_("Relation added."))


@login_required
@require_POST
def relation_remove(request: HttpRequest, ci_id: int, relation_id: int) -> HttpResponse:
    ci = _ci_or_404(request, ci_id)
    try:
        services.relation_delete(actor=request.user, relation=relation_id)
    except DomainError as error:
        messages.error(request, str(error.message))
    else:
        messages.success(request, _("Relation removed."))
    return redirect("ui:cmdb_ci_detail", ci_id=ci.pk)


@login_required
@require_POST
def custody_add(request: HttpRequest, ci_id: int) -> HttpResponse:
    form = CustodyForm(request.POST, request.FILES, prefix="custody")
    return _ci_act(request, ci_id, key="custody", form=form, done=_("Custody agreement recorded."),
                   call=lambda ci, f: services.custody_agreement_record(actor=request.user, ci=ci, **f.cleaned_data))


# CI create and edit -------------------------------------------------------------------------------


def _render_ci_form(request: HttpRequest, form: CIForm, *, ci_class: CIClass, ci: ConfigurationItem | None,
                    status: int = 200) -> HttpResponse:
    return render(request, "cmdb/ci_form.html", {"form": form, "ci_class": ci_class, "ci": ci,
                                                 "classes": selectors.ci_class_list(active_only=True)}, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def ci_new(request: HttpRequest) -> HttpResponse:
    if not rules.writable_organisation_ids(request.user):
        return _forbidden(request, _("You may not register configuration items."))
    class_id = request.POST.get("ci_class") or request.GET.get("ci_class") or ""
    if not class_id.isdigit():
        return render(request, "cmdb/ci_choose_class.html", {"classes": selectors.ci_class_list(active_only=True)})
    ci_class = _class_or_404(int(class_id))
    specs = selectors.attribute_specs(ci_class)
    if request.method == "POST":
        form = CIForm(request.POST, specs=specs)
        if form.is_valid():
            try:
                ci = services.ci_create(actor=request.user, ci_class=ci_class, **form.service_arguments())
            except DomainError as error:
                add_ci_error(form, error)
                return _render_ci_form(request, form, ci_class=ci_class, ci=None, status=error.status)
            messages.success(request, _("%(name)s is registered.") % {"name": ci.name})
            return redirect("ui:cmdb_ci_detail", ci_id=ci.pk)
        return _render_ci_form(request, form, ci_class=ci_class, ci=None, status=422)
    form = CIForm(specs=specs, initial={"organisation": request.user.organisation_id,
                                        "is_maintained": ci_class.is_maintained})
    return _render_ci_form(request, form, ci_class=ci_class, ci=None)


@login_required
@require_http_methods(["GET", "POST"])
def ci_edit(request: HttpRequest, ci_id: int) -> HttpResponse:
    ci = _ci_or_404(request, ci_id)
    if not rules.can_write(request.user, ci.organisation_id):
        return _forbidden(request, _("You may not change this configuration item."))
    specs = selectors.attribute_specs(ci.ci_class)
    if request.method == "POST":
        form = CIForm(request.POST, specs=specs)
        if form.is_valid():
            try:
                services.ci_update(actor=request.user, ci=ci, version=form.cleaned_data.get("version"),
                                   **form.service_arguments())
            except DomainError as error:
                add_ci_error(form, error)
                if isinstance(error, StaleVersion):
                    data = form.data.copy()
                    data["version"] = str(ci.version)
                    form.data = data
                return _render_ci_form(request, form, ci_class=ci.ci_class, ci=ci, status=error.status)
            messages.success(request, _("Your changes are saved."))
            return redirect("ui:cmdb_ci_detail", ci_id=ci.pk)
        return _render_ci_form(request, form, ci_class=ci.ci_class, ci=ci, status=422)
    return _render_ci_form(request, CIForm(specs=specs, initial=CIForm.initial_for(ci)), ci_class=ci.ci_class, ci=ci)


# Warranty report --------------------------------------------------------------------------------


@login_required
@require_GET
def warranty_report(request: HttpRequest) -> HttpResponse:
    if not _staff(request):
        return _forbidden(request, _("Only staff see the CMDB."))
    rows = list(selectors.warranty_expiring(user=request.user, days=WARRANTY_DAYS))
    today = clock.now().date()
    for ci in rows:
        ci.days_left = (ci.warranty_end - today).days
    return render(request, "cmdb/warranty_report.html", {"rows": rows, "days": WARRANTY_DAYS, "today": today})


# The two maps -------------------------------------------------------------------------------------


def _map_services() -> list[Service]:
    return list(catalog_selectors.service_list())


@login_required
@require_GET
def map_operation(request: HttpRequest) -> HttpResponse:
    if not _staff(request):
        return _forbidden(request, _("Only staff see the CMDB."))
    services_ = _map_services()
    service_id = request.GET.get("service", "")
    ci_id = request.GET.get("ci", "")
    if not service_id and not ci_id and services_:
        service_id = str(services_[0].pk)
    query = f"service={service_id}" if service_id.isdigit() else (f"ci={ci_id}" if ci_id.isdigit() else "")
    root_ci = _ci_or_404(request, int(ci_id)) if ci_id.isdigit() else None
    return render(request, "cmdb/map_operation.html", {
        "services": services_, "service_id": service_id, "root_ci": root_ci, "max_nodes": maps.MAX_NODES,
        "source": reverse("ui:cmdb_map_operation_data") + ("?" + query if query else ""),
    })


@login_required
@require_GET
def map_operation_data(request: HttpRequest) -> JsonResponse:
    if not _staff(request):
        return JsonResponse({"detail": _("Only staff see the CMDB."), "code": "forbidden"}, status=403)
    visible = selectors.visible_to(request.user)
    service_id = request.GET.get("service", "")
    ci_id = request.GET.get("ci", "")
    if ci_id.isdigit():
        ci = _ci_or_404(request, int(ci_id))
        return JsonResponse(maps.operation_map(visible=visible, root_ids=[ci.pk]))
    service = catalog_selectors.service_list().filter(pk=int(service_id)).first() if service_id.isdigit() else None
    if service is None:
        return JsonResponse({"detail": _("Choose a service or a CI."), "code": "invalid"}, status=422)
    roots = maps.service_root_ids(service, visible)
    return JsonResponse(maps.operation_map(visible=visible, root_ids=roots, service=service))


@login_required
@require_GET
def map_application(request: HttpRequest) -> HttpResponse:
    if not _staff(request):
        return _forbidden(request, _("Only staff see the CMDB."))
    systems = list(ApplicationNode.objects.filter(parent__isnull=True, is_active=True).order_by("name"))
    system_id = request.GET.get("system", "")
    query = f"?system={system_id}" if system_id.isdigit() else ""
    return render(request, "cmdb/map_application.html", {
        "systems": systems, "system_id": system_id, "source": reverse("ui:cmdb_map_application_data") + query,
    })


@login_required
@require_GET
def map_application_data(request: HttpRequest) -> JsonResponse:
    if not _staff(request):
        return JsonResponse({"detail": _("Only staff see the CMDB."), "code": "forbidden"}, status=403)
    system_id = request.GET.get("system", "")
    return JsonResponse(maps.application_map(visible=selectors.visible_to(request.user),
                                             system_id=int(system_id) if system_id.isdigit() else None))


# The Excel import wizard --------------------------------------------------------------------------
# upload → map columns → preview (nothing written) → import (all or nothing) → result.
# The uploaded file waits under <data dir>/tmp/cmdb-import/<uuid>.xlsx; the session holds its id, the
# class and the organisation; the file is deleted after the import or when a new upload replaces it.

SESSION_KEY = "cmdb_import"


STALE_UPLOAD_SECONDS = 24 * 3600


def _import_dir() -> Path:
    """<data dir>/tmp/cmdb-import (the data dir is where the attachments live: MEDIA_ROOT's parent)."""
    directory = Path(settings.MEDIA_ROOT).parent / "tmp" / "cmdb-import"
    directory.mkdir(parents=True, exist_ok=True)
    return directory


def _sweep_stale_uploads() -> None:
    """Uploads abandoned between the wizard's steps are removed after a day."""
    limit = time.time() - STALE_UPLOAD_SECONDS
    for path in _import_dir().glob("*.xlsx"):
        if path.stat().st_mtime < limit:
            path.unlink(missing_ok=True)


def _import_state(request: HttpRequest) -> dict[str, Any] | None:
    state = request.session.get(SESSION_KEY)
    if not state:
        return None
    path = _import_dir() / f"{state['token']}.xlsx"
    if not path.exists():
        request.session.pop(SESSION_KEY, None)
        return None
    state["path"] = path
    return state


def _discard_import(request: HttpRequest) -> None:
    state = request.session.pop(SESSION_KEY, None)
    if state:
        (_import_dir() / f"{state['token']}.xlsx").unlink(missing_ok=True)


def _import_targets(ci_class: CIClass) -> list[tuple[str, str]]:
    """What a column may fill: the CI's own fields, then every attribute of the class (inherited ones too)."""
    from . import importing

    labels = {"class": _("Class (code or name)"), "organisation": _("Organisation (code or name)")}
    fields = []
    for name in importing.FIELD_TARGETS:
        if name in labels:
            fields.append((name, str(labels[name])))
        else:
            fields.append((name, str(ConfigurationItem._meta.get_field(name).verbose_name).capitalize()))
    attrs = [(f"attributes.{a.definition.code}", f"{a.definition.display_name} ({a.definition.code})")
             for a in selectors.class_attributes(ci_class)]
    return attrs + fields


def _key_targets(ci_class: CIClass) -> list[tuple[str, str]]:
    return [(f"attributes.{a.definition.code}", f"{a.definition.display_name} ({a.definition.code})")
            for a in selectors.class_attributes(ci_class) if a.definition.unique]


@login_required
@require_http_methods(["GET", "POST"])
def import_upload(request: HttpRequest) -> HttpResponse:
    if not rules.can_configure(request.user):
        return _forbidden(request, _("Only configuration managers and administrators import from Excel."))
    form = ImportUploadForm(request.POST or None, request.FILES or None,
                            initial={"organisation": request.user.organisation_id})
    if request.method == "POST":
        if not form.is_valid():
            return render(request, "cmdb/import_upload.html", {"form": form}, status=422)
        from . import importing

        content = form.cleaned_data["file"].read()
        try:
            preview = importing.sheet_preview(io.BytesIO(content))
        except DomainError as error:
            add_domain_error(form, error)
            return render(request, "cmdb/import_upload.html", {"form": form}, status=error.status)
        _discard_import(request)
        _sweep_stale_uploads()
        token = uuid.uuid4().hex
        (_import_dir() / f"{token}.xlsx").write_bytes(content)
        request.session[SESSION_KEY] = {
            "token": token, "name": form.cleaned_data["file"].name, "ci_class": form.cleaned_data["ci_class"].pk,
            "organisation": form.cleaned_data["organisation"].pk, "columns": preview.headers,
            "sample": [[_cell_text(v) for v in row] for row in preview.sample], "rows": preview.row_count,
            "sheet": preview.sheet,
        }
        return redirect("ui:cmdb_import_map")
    return render(request, "cmdb/import_upload.html", {"form": form})


def _cell_text(value: Any) -> str:
    return "" if value is None else str(value)[:80]


def _guess_mapping(columns: list[str], ci_class: CIClass, targets: list[tuple[str, str]],
                   keys: list[tuple[str, str]]) -> dict[str, str]:
    """Pre-select the target a column header names (an attribute's code, Chinese or English name; a field's)."""
    by_name: dict[str, str] = {}
    for value, label in targets:
        by_name[value.removeprefix("attributes.").casefold()] = value
        by_name[label.split(" (")[0].casefold()] = value
    for attribute in selectors.class_attributes(ci_class):
        for alias in (attribute.definition.name, attribute.definition.name_en):
            if alias:
                by_name[alias.casefold()] = f"attributes.{attribute.definition.code}"
    initial = {f"col_{i}": by_name.get(str(c).strip().casefold(), "") for i, c in enumerate(columns)}
    mapped = set(initial.values())
    initial["key"] = next((value for value, _label in keys if value in mapped), "")
    return initial


def _import_context(state: dict[str, Any], form: Any, ci_class: CIClass, organisation: Organisation,
                    **extra: Any) -> dict[str, Any]:
    columns = state["columns"]
    return {"form": form, "state": state, "ci_class": ci_class, "organisation": organisation,
            "column_fields": [(form[f"col_{i}"], [row[i] if i < len(row) else "" for row in state["sample"]])
                              for i in range(len(columns))], **extra}


@login_required
@require_http_methods(["GET", "POST"])
def import_map(request: HttpRequest) -> HttpResponse:
    """Map columns to attributes; "Preview" checks every row and writes nothing; "Import" writes all or nothing."""
    if not rules.can_configure(request.user):
        return _forbidden(request, _("Only configuration managers and administrators import from Excel."))
    state = _import_state(request)
    if state is None:
        messages.info(request, _("Upload the sheet first."))
        return redirect("ui:cmdb_import")
    ci_class = _class_or_404(state["ci_class"])
    organisation = Organisation.objects.get(pk=state["organisation"])
    targets, keys = _import_targets(ci_class), _key_targets(ci_class)
    columns = state["columns"]
    if request.method == "GET":
        form = mapping_form(columns, targets, keys, initial=_guess_mapping(columns, ci_class, targets, keys))
        return render(request, "cmdb/import_map.html", _import_context(state, form, ci_class, organisation))
    form = mapping_form(columns, targets, keys, data=request.POST)
    if not form.is_valid():
        return render(request, "cmdb/import_map.html", _import_context(state, form, ci_class, organisation),
                      status=422)
    from . import importing

    mapping = importing.ImportMapping(
        columns={columns[i]: form.cleaned_data[f"col_{i}"] for i in range(len(columns))
                 if form.cleaned_data.get(f"col_{i}") and columns[i]},
        key=form.cleaned_data.get("key") or "", ci_class=ci_class.code, organisation=organisation.code,
        sheet=state.get("sheet", ""))
    confirmed = request.POST.get("action") == "import"
    try:
        result = importing.ci_import(actor=request.user, file=io.BytesIO(state["path"].read_bytes()),
                                     mapping=mapping, dry_run=not confirmed)
    except DomainError as error:
        add_domain_error(form, error)
        if "mapping" in error.field_errors:
            for message in error.field_errors["mapping"]:
                form.add_error(None, str(message))
        return render(request, "cmdb/import_map.html", _import_context(state, form, ci_class, organisation),
                      status=error.status)
    if not confirmed or result.errors:
        return render(request, "cmdb/import_map.html",
                      _import_context(state, form, ci_class, organisation, preview=result),
                      status=422 if result.errors else 200)
    _discard_import(request)
    return render(request, "cmdb/import_result.html", {"result": result, "ci_class": ci_class, "name": state["name"]})


@login_required
@require_POST
def import_cancel(request: HttpRequest) -> HttpResponse:
    _discard_import(request)
    return redirect("ui:cmdb_import")


# The incident record's "Affected CIs" panel (htmx) ------------------------------------------------


def _incident_or_404(request: HttpRequest, number: str) -> Incident:
    try:
        return incident_selectors.incident_get(user=request.user, number=number)
    except NotFound as error:
        raise Http404(str(error.message))


def _render_incident_panel(request: HttpRequest, incident: Incident, *, error: str = "", status: int = 200,
                           q: str = "") -> HttpResponse:
    cis = selectors.incident_cis(user=request.user, incident=incident)
    impacts = []
    for ci in cis:
        impact = selectors.impact_of(user=request.user, ci=ci, limit=10)
        others = [i for i in impact.open_incidents if i.pk != incident.pk]
        impacts.append({"ci": ci, "impact": impact, "other_incidents": others})
    can_change = incident_rules.can_edit(request.user, incident) or incident_rules.can_log_work(request.user, incident)
    return render(request, "cmdb/_incident_cis_panel.html", {
        "incident": incident, "impacts": impacts, "error": error, "can_change": can_change, "q": q,
    }, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def incident_cis(request: HttpRequest, number: str) -> HttpResponse:
    incident = _incident_or_404(request, number)
    if request.method == "POST":
        ci_id = request.POST.get("ci", "")
        action = request.POST.get("action", "add")
        try:
            if not ci_id.isdigit():
                raise ValidationFailed(_("Choose a CI."), field_errors={"ci": [_("Choose a CI.")]})
            ci = selectors.ci_get(user=request.user, ci_id=int(ci_id))
            if action == "remove":
                services.incident_cis_remove(actor=request.user, incident=incident, cis=[ci])
            else:
                services.incident_cis_add(actor=request.user, incident=incident, cis=[ci])
        except (DomainError, PermissionDenied) as error:
            response = _render_incident_panel(request, incident, error=str(error.message), status=error.status)
            return response
        if not request.htmx:
            return redirect(reverse("ui:incident_detail", args=[incident.number]) + "#affected-cis")
    return _render_incident_panel(request, incident)


@login_required
@require_GET
def custody_file(request: HttpRequest, ci_id: int, agreement_id: int) -> FileResponse:
    ci = _ci_or_404(request, ci_id)
    agreement = ci.custody_agreements.filter(pk=agreement_id).first()
    if agreement is None or not agreement.file:
        raise Http404(_("No such file."))
    return FileResponse(agreement.file.open("rb"), as_attachment=True, filename=Path(agreement.file.name).name)


STATE_LABELS = dict(CIState.choices)
