"""Reads of the service catalogue and routing."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from opsdesk.accounts.models import Organisation, SupportGroup

from .models import Category, RoutingRule, Service


def service_list(*, q: str = "", active_only: bool = True) -> QuerySet[Service]:
    queryset = Service.objects.all()
    if active_only:
        queryset = queryset.filter(is_active=True)
    if q:
        queryset = queryset.filter(Q(name__icontains=q) | Q(name_en__icontains=q) | Q(code__icontains=q))
    return queryset


def category_list(*, service_id: int | None = None, q: str = "") -> QuerySet[Category]:
    queryset = Category.objects.filter(is_active=True).select_related("parent", "service")
    if service_id:
        queryset = queryset.filter(service_id=service_id)
    if q:
        queryset = queryset.filter(Q(name__icontains=q) | Q(name_en__icontains=q) | Q(code__icontains=q))
    return queryset


def routing_group_for(
    *, service: Service, category: Category | None, organisation: Organisation | None
) -> SupportGroup | None:
    """The group the most specific active rule names: the category (or its parents), then the service."""
    rules = list(
        RoutingRule.objects.filter(service=service, is_active=True).select_related("group", "organisation")
    )
    org_path = organisation.path if organisation else ""

    def org_score(rule: RoutingRule) -> int | None:
        if rule.organisation is None:
            return 0
        if org_path.startswith(rule.organisation.path):
            return len(rule.organisation.path)
        return None

    lineage: list[int | None] = []
    node = category
    while node is not None:
        lineage.append(node.pk)
        node = node.parent
    lineage.append(None)
    for category_id in lineage:
        candidates = [(score, rule) for rule in rules if rule.category_id == category_id
                      and (score := org_score(rule)) is not None]
        if candidates:
            return max(candidates, key=lambda pair: pair[0])[1].group
    return None
