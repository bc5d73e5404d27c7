"""Reads of the service catalogue and routing."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Q, QuerySet

from opsdesk.accounts.models import Organisation, SupportGroup
from opsdesk.incidents.choices import Impact, Urgency
from opsdesk.incidents.models import PriorityRule
from opsdesk.incidents.rules import DEFAULT_PRIORITY_MATRIX
from opsdesk.sla.models import ServiceAgreement

from .models import ApplicationLevel, ApplicationNode, Category, RoutingRule, Service


def service_list(*, q: str = "", active_only: bool = True) -> QuerySet[Service]:
    queryset = Service.objects.select_related("application", "owner_group")
    if active_only:
        queryset = queryset.filter(is_active=True)
    if q:
        queryset = queryset.filter(Q(name__icontains=q) | Q(name_en__icontains=q) | Q(code__icontains=q))
    return queryset


def agreement_ids(service_ids: list[int]) -> dict[int, int]:
    """The service level agreement each of these services is offered under (service id → agreement id), in one
    query; a service without one is missing from the map."""
    return dict(ServiceAgreement.objects.filter(service_id__in=service_ids).values_list("service_id", "agreement_id"))


def category_list(*, service_id: int | None = None, q: str = "") -> QuerySet[Category]:
    queryset = Category.objects.filter(is_active=True).select_related("parent", "service")
    if service_id:
        queryset = queryset.filter(service_id=service_id)
    if q:
        queryset = queryset.filter(Q(name__icontains=q) | Q(name_en__icontains=q) | Q(code__icontains=q))
    return queryset


def _lineage(category: Category | None) -> list[int]:
    lineage: list[int] = []
    node = category
    while node is not None:
        lineage.append(node.pk)
        node = node.parent
    return lineage


def _ancestors(organisation: Organisation | None) -> list[int]:
    return [int(part) for part in organisation.path.strip("/").split("/") if part] if organisation else []


def routing_rules_for(
    cases: list[tuple[Service, Category | None, Organisation | None]],
) -> dict[int, list[RoutingRule]]:
    """The active rules that can apply to any of ``cases`` (service, category, organisation), by service id:
    one query for a whole batch of new records."""
    services = {service.pk for service, _, _ in cases}
    lineages = {pk for _, category, _ in cases for pk in _lineage(category)}
    ancestors = {pk for _, _, organisation in cases for pk in _ancestors(organisation)}
    by_service: dict[int, list[RoutingRule]] = {pk: [] for pk in services}
    for rule in (
        RoutingRule.objects.filter(service_id__in=services, is_active=True)
        .filter(Q(category__isnull=True) | Q(category_id__in=lineages))
        .filter(Q(organisation__isnull=True) | Q(organisation_id__in=ancestors))
        .select_related("group")
        .order_by("id")
    ):
        by_service[rule.service_id].append(rule)
    return by_service


def pick_routing_group(
    rules: list[RoutingRule], *, category: Category | None, organisation: Organisation | None
) -> SupportGroup | None:
    """The group the most specific of the service's ``rules`` (as ``routing_rules_for`` read them) names:
    the category (or its parents), then the service. Among rules for the same category, one for the
    organisation or its nearest ancestor beats one for a higher organisation, which beats one for every
    organisation."""
    lineage = _lineage(category)
    ancestors = _ancestors(organisation)
    service_rules = [
        rule for rule in rules
        if (rule.category_id is None or rule.category_id in lineage)
        and (rule.organisation_id is None or rule.organisation_id in ancestors)
    ]

    def org_score(rule: RoutingRule) -> int:
        return 0 if rule.organisation_id is None else 1 + ancestors.index(rule.organisation_id)

    for category_id in [*lineage, None]:
        candidates = [rule for rule in service_rules if rule.category_id == category_id]
        if candidates:
            return max(candidates, key=org_score).group
    return None


# The application catalogue --------------------------------------------------------------------


def application_node_list(
    *, q: str = "", level: str = "", parent_id: int | None = None, active_only: bool = False
) -> QuerySet[ApplicationNode]:
    queryset = ApplicationNode.objects.select_related("parent", "owner_group", "organisation")
    if active_only:
        queryset = queryset.filter(is_active=True)
    if level:
        queryset = queryset.filter(level=level)
    if parent_id:
        queryset = queryset.filter(parent_id=parent_id)
    if q:
        queryset = queryset.filter(Q(name__icontains=q) | Q(name_en__icontains=q) | Q(code__icontains=q))
    return queryset


@dataclass
class CatalogueNode:
    """One node of the catalogue tree with its services and children (both in display order)."""

    node: ApplicationNode
    services: list[Service] = field(default_factory=list)
    children: list[CatalogueNode] = field(default_factory=list)

    @property
    def service_count(self) -> int:
        """Services offered on this node and every node below it."""
        return len(self.services) + sum(child.service_count for child in self.children)


def application_tree(*, active_only: bool = False) -> list[CatalogueNode]:
    """The whole catalogue, systems → subsystems → platforms → modules, each with its services: two queries."""
    nodes = list(application_node_list(active_only=active_only).order_by("name", "id"))
    services = Service.objects.filter(application__isnull=False).select_related("owner_group").order_by("name", "id")
    if active_only:
        services = services.filter(is_active=True)
    wrapped = {node.pk: CatalogueNode(node) for node in nodes}
    for service in services:
        if service.application_id in wrapped:
            wrapped[service.application_id].services.append(service)
    roots: list[CatalogueNode] = []
    for node in nodes:
        parent = wrapped.get(node.parent_id) if node.parent_id else None
        if parent is not None:
            parent.children.append(wrapped[node.pk])
        elif node.level == ApplicationLevel.SYSTEM or node.parent_id is None:
            roots.append(wrapped[node.pk])
    return roots


def application_node_choices(*, active_only: bool = True) -> list[tuple[ApplicationNode, int]]:
    """Every node in tree order with its depth (0 for a system), for pickers that show the hierarchy."""
    ordered: list[tuple[ApplicationNode, int]] = []

    def walk(branch: list[CatalogueNode], depth: int) -> None:
        for item in branch:
            ordered.append((item.node, depth))
            walk(item.children, depth + 1)

    walk(application_tree(active_only=active_only), 0)
    return ordered


# Category trees and routing -------------------------------------------------------------------


@dataclass
class CategoryNode:
    category: Category
    children: list[CategoryNode] = field(default_factory=list)
    depth: int = 0


def _category_tree(categories: list[Category]) -> list[CategoryNode]:
    wrapped = {category.pk: CategoryNode(category) for category in categories}
    roots: list[CategoryNode] = []
    for item in wrapped.values():
        parent = wrapped.get(item.category.parent_id) if item.category.parent_id else None
        (parent.children if parent else roots).append(item)

    def set_depth(branch: list[CategoryNode], depth: int) -> None:
        for item in branch:
            item.depth = depth
            set_depth(item.children, depth + 1)

    set_depth(roots, 0)
    return roots


def category_tree(*, service: Service, active_only: bool = False) -> list[CategoryNode]:
    """A service's categories as a tree (inactive ones too unless ``active_only``), in creation order."""
    categories = Category.objects.filter(service=service).select_related("service").order_by("id")
    if active_only:
        categories = categories.filter(is_active=True)
    return _category_tree(list(categories))


def _flatten(branch: list[CategoryNode], rows: list[CategoryNode]) -> list[CategoryNode]:
    for item in branch:
        rows.append(item)
        _flatten(item.children, rows)
    return rows


def category_rows_by_service(*, active_only: bool = True) -> list[tuple[Service, list[CategoryNode]]]:
    """Every service (active ones when ``active_only``) with its flattened category tree: two queries."""
    categories = Category.objects.order_by("id")
    if active_only:
        categories = categories.filter(is_active=True)
    by_service: dict[int, list[Category]] = {}
    for category in categories:
        by_service.setdefault(category.service_id, []).append(category)
    return [(service, _flatten(_category_tree(by_service.get(service.pk, [])), []))
            for service in service_list(active_only=active_only)]


def category_tree_rows(*, service: Service, active_only: bool = False) -> list[CategoryNode]:
    """The category tree flattened in display order (each row knows its depth)."""
    return _flatten(category_tree(service=service, active_only=active_only), [])


def routing_rule_list(*, service_id: int | None = None) -> QuerySet[RoutingRule]:
    queryset = RoutingRule.objects.select_related("service", "category", "category__parent", "organisation", "group")
    if service_id:
        queryset = queryset.filter(service_id=service_id)
    return queryset.order_by("service__name", "service_id", "category_id", "organisation__path", "id")


def priority_matrix() -> dict[tuple[int, int], int]:
    """The impact × urgency → priority matrix in force: the configured cells over the default ones."""
    matrix = {(int(impact), int(urgency)): int(priority) for (impact, urgency), priority in DEFAULT_PRIORITY_MATRIX.items()}
    for impact, urgency, priority in PriorityRule.objects.values_list("impact", "urgency", "priority"):
        if (impact, urgency) in matrix:
            matrix[(impact, urgency)] = priority
    return {(impact, urgency): matrix[(impact, urgency)] for impact in Impact.values for urgency in Urgency.values}
