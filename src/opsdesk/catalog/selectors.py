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
    """The group the most specific active rule names: the category (or its parents), then the service.

    Among rules for the same category, one for the organisation or its nearest ancestor beats one for a
    higher organisation, which beats one for every organisation. Only the rules that can apply are read:
    those of the category's lineage and of the organisation's ancestors (its materialised path).
    """
    lineage: list[int] = []
    node = category
    while node is not None:
        lineage.append(node.pk)
        node = node.parent
    ancestors = [int(part) for part in organisation.path.strip("/").split("/") if part] if organisation else []
    rules = list(
        RoutingRule.objects.filter(service=service, is_active=True)
        .filter(Q(category__isnull=True) | Q(category_id__in=lineage))
        .filter(Q(organisation__isnull=True) | Q(organisation_id__in=ancestors))
        .select_related("group")
        .order_by("id")
    )

    def org_score(rule: RoutingRule) -> int:
        return 0 if rule.organisation_id is None else 1 + ancestors.index(rule.organisation_id)

    for category_id in [*lineage, None]:
        candidates = [rule for rule in rules if rule.category_id == category_id]
        if candidates:
            return max(candidates, key=org_score).group
    return None
