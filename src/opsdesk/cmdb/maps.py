"""The data of the two maps of the seed, as JSON-ready dicts for the browser (Cytoscape.js).

- The system operation map (信息系统运行图): the devices and links that form one system. It starts from
  the CIs of a service (linked to it, or standing for its application catalogue node) or from one CI,
  and follows what the system is built from: ``runs on`` and ``depends on`` forwards, the parts of the
  system (``part of`` backwards, only from application CIs, so a cabinet does not pull in its
  neighbours' servers), a device's cabinet (``part of`` forwards), what backs it up, and the network
  path (``connected to`` either way, at most ``NETWORK_HOPS`` links in a row, so one core switch does
  not pull in every system it carries). Every relation between the CIs reached is drawn; open
  incidents are counted per CI.
- The application map (信息内容应用图): system → subsystem → platform → module from the application
  catalogue, each node linked to the services that stand on it, with the CIs of application classes that
  are not in the catalogue joined through their ``part of`` relations.

Reads only: a view calls these with the CIs the user may see (``visible``) and returns the dict.
Queries are per level of the walk and per batch, never per CI.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.urls import reverse

from opsdesk.catalog.models import ApplicationNode, Service
from opsdesk.incidents.choices import OPEN_STATES
from opsdesk.ui.naming import localized_name

from .choices import CIState, RelationKind
from .models import CIClass, ConfigurationItem, IncidentCI, Relation

MAX_NODES = 3000
NETWORK_HOPS = 4
MAX_DEPTH = 20
APPLICATION_CLASS_CODES = frozenset({"application", "system", "subsystem", "platform", "module"})
FAMILY_CODES = frozenset({
    "service", "application", "system", "subsystem", "platform", "module", "server", "virtual_machine",
    "network_device", "network", "switch", "router", "firewall", "storage", "database", "middleware",
    "software_licence", "licence", "cabinet", "cable",
})
NETWORK_FAMILIES = frozenset({"network_device", "network", "switch", "router", "firewall"})
BATCH = 500


class ClassTree:
    """Every CI class, loaded once: each class's family (for colour and shape) and application classes."""

    def __init__(self) -> None:
        self.classes = {c.pk: c for c in CIClass.objects.all()}

    def lineage(self, class_id: int | None) -> list[CIClass]:
        chain: list[CIClass] = []
        while class_id is not None and class_id in self.classes and len(chain) < 50:
            chain.append(self.classes[class_id])
            class_id = self.classes[class_id].parent_id
        return chain

    def family(self, class_id: int) -> str:
        for ci_class in self.lineage(class_id):
            if ci_class.code in FAMILY_CODES:
                return ci_class.code
        chain = self.lineage(class_id)
        return chain[-1].code if chain else ""

    def is_application(self, class_id: int) -> bool:
        return any(c.code in APPLICATION_CLASS_CODES for c in self.lineage(class_id))

    def application_class_ids(self) -> list[int]:
        return [pk for pk in self.classes if self.is_application(pk)]


def _chunks(ids: list[int]) -> Iterable[list[int]]:
    for start in range(0, len(ids), BATCH):
        yield ids[start:start + BATCH]


def open_incident_counts(ci_ids: Iterable[int]) -> dict[int, int]:
    counts: dict[int, int] = {}
    for chunk in _chunks(sorted(set(ci_ids))):
        rows = (IncidentCI.objects.filter(ci_id__in=chunk, incident__state__in=OPEN_STATES)
                .values("ci_id").annotate(n=Count("incident_id", distinct=True)))
        counts.update({row["ci_id"]: row["n"] for row in rows})
    return counts


def service_root_ids(service: Service, visible: QuerySet[ConfigurationItem]) -> list[int]:
    """The CIs a service stands on: linked to it, or standing for its application node or a node below it."""
    condition = Q(service_links__service=service)
    if service.application_id:
        nodes = _descendant_node_ids([service.application_id])
        condition |= Q(application_id__in=nodes)
    return sorted(set(visible.filter(condition).values_list("id", flat=True)))


def _descendant_node_ids(root_ids: list[int]) -> list[int]:
    found = list(root_ids)
    frontier = list(root_ids)
    while frontier and len(found) < 10000:
        frontier = list(ApplicationNode.objects.filter(parent_id__in=frontier).values_list("id", flat=True))
        found += frontier
    return found


def _walk(root_ids: list[int], visible_ids: set[int] | None, tree: ClassTree) -> tuple[dict[int, int], bool]:
    """Breadth-first over relations from the roots; returns {ci id: depth} and whether it stopped at MAX_NODES."""
    class_of = dict(ConfigurationItem.objects.filter(id__in=root_ids).values_list("id", "ci_class_id"))
    depth: dict[int, int] = {ci: 0 for ci in root_ids}
    network_run: dict[int, int] = {ci: 0 for ci in root_ids}
    frontier = list(root_ids)
    level = 0
    truncated = False
    while frontier and level < MAX_DEPTH:
        level += 1
        found: dict[int, int] = {}  # id -> run of connected_to hops that reached it
        for chunk in _chunks(frontier):
            rows = Relation.objects.filter(Q(source_id__in=chunk) | Q(target_id__in=chunk)).values_list(
                "source_id", "target_id", "kind", "source__ci_class_id", "target__ci_class_id")
            chunk_set = set(chunk)
            for source, target, kind, source_class, target_class in rows:
                class_of.setdefault(source, source_class)
                class_of.setdefault(target, target_class)
                for here, there, forward in ((source, target, True), (target, source, False)):
                    if here not in chunk_set or there in depth:
                        continue
                    run = 0
                    if kind in (RelationKind.RUNS_ON, RelationKind.DEPENDS_ON):
                        follow = forward
                    elif kind == RelationKind.PART_OF:
                        # a device's cabinet (forwards); a system's parts (backwards, from application CIs only)
                        follow = forward or tree.is_application(class_of.get(here, 0))
                        if forward and not tree.is_application(class_of.get(there, 0)):
                            run = NETWORK_HOPS  # reach the cabinet, but go no further from it
                    elif kind == RelationKind.BACKS_UP:
                        follow = not forward  # what backs up a CI of the system belongs to it
                    elif kind == RelationKind.CONNECTED_TO:
                        # Up the network path, never back down into the devices other systems hang on it:
                        # from a switch or a cable only to network devices (or cables, from a cable).
                        run = network_run.get(here, 0) + 1
                        here_family = tree.family(class_of.get(here, 0))
                        there_family = tree.family(class_of.get(there, 0))
                        follow = run <= NETWORK_HOPS and (
                            here_family not in NETWORK_FAMILIES and here_family != "cable"
                            or there_family in NETWORK_FAMILIES
                            or (here_family == "cable" and there_family == "cable"))
                    else:
                        follow = False
                    if follow and (visible_ids is None or there in visible_ids):
                        found[there] = min(found.get(there, run), run)
        frontier = []
        for ci, run in found.items():
            if ci in depth:
                continue
            if len(depth) >= MAX_NODES:
                truncated = True
                break
            depth[ci] = level
            network_run[ci] = run
            if run < NETWORK_HOPS or tree.is_application(class_of.get(ci, 0)):
                frontier.append(ci)
    return depth, truncated


def _family(ci: ConfigurationItem, tree: ClassTree) -> str:
    family = tree.family(ci.ci_class_id)
    role = (ci.attributes or {}).get("device_role")
    if family in NETWORK_FAMILIES and role in ("firewall", "router"):
        return str(role)
    return family


def _ci_node(ci: ConfigurationItem, tree: ClassTree, incidents: int, *, root: bool, depth: int) -> dict[str, Any]:
    url = reverse("ui:cmdb_ci_detail", args=[ci.pk])
    return {
        "id": f"ci-{ci.pk}",
        "label": ci.name,
        "kind": "ci",
        "class": ci.ci_class.code,
        "class_label": localized_name(ci.ci_class),
        "family": _family(ci, tree),
        "status": ci.state,
        "status_label": str(CIState(ci.state).label) if ci.state in CIState.values else ci.state,
        "organisation": localized_name(ci.organisation),
        "incidents": incidents,
        "url": url,
        "incidents_url": url + "#incidents",
        "root": root,
        "depth": depth,
    }


def _relation_edges(ci_ids: list[int]) -> list[dict[str, Any]]:
    labels = dict(RelationKind.choices)
    id_set = set(ci_ids)
    edges = []
    for chunk in _chunks(ci_ids):
        rows = Relation.objects.filter(source_id__in=chunk).values_list("id", "source_id", "target_id", "kind")
        for pk, source, target, kind in rows:
            if target in id_set:
                edges.append({"id": f"r{pk}", "source": f"ci-{source}", "target": f"ci-{target}", "kind": kind,
                              "label": str(labels.get(kind, kind))})
    return edges


def operation_map(*, visible: QuerySet[ConfigurationItem], root_ids: list[int],
                  service: Service | None = None) -> dict[str, Any]:
    """The system operation map from ``root_ids`` (CIs the reader may see), optionally under a service node."""
    tree = ClassTree()
    visible_ids = set(visible.values_list("id", flat=True)) if visible.query.has_filters() else None
    roots = [ci for ci in root_ids if visible_ids is None or ci in visible_ids]
    depth, truncated = _walk(roots, visible_ids, tree) if roots else ({}, False)
    ids = sorted(depth)
    incidents = open_incident_counts(ids)
    cis: list[ConfigurationItem] = []
    for chunk in _chunks(ids):
        cis += list(ConfigurationItem.objects.filter(id__in=chunk).select_related("ci_class", "organisation"))
    nodes = [_ci_node(ci, tree, incidents.get(ci.pk, 0), root=depth[ci.pk] == 0 and service is None,
                      depth=depth[ci.pk] + (1 if service else 0)) for ci in cis]
    edges = _relation_edges(ids)
    if service is not None:
        nodes.insert(0, {"id": f"service-{service.pk}", "label": localized_name(service), "kind": "service",
                         "class": "service", "class_label": str(Service._meta.verbose_name), "family": "service",
                         "status": "", "organisation": "", "incidents": 0, "root": True, "depth": 0,
                         "url": reverse("ui:cmdb_ci_list") + f"?service={service.pk}"})
        edges += [{"id": f"s{service.pk}-{ci}", "source": f"service-{service.pk}", "target": f"ci-{ci}",
                   "kind": "serves", "label": ""} for ci in roots]
    return {"nodes": nodes, "edges": edges, "truncated": truncated, "directed": True}


def application_map(*, visible: QuerySet[ConfigurationItem], system_id: int | None = None) -> dict[str, Any]:
    """System → subsystem → platform → module (the catalogue), their services and application CIs."""
    tree = ClassTree()
    node_qs = ApplicationNode.objects.filter(is_active=True).select_related("organisation")
    if system_id:
        node_qs = node_qs.filter(id__in=_descendant_node_ids([system_id]))
    app_nodes = list(node_qs)
    node_ids = {n.pk for n in app_nodes}
    levels = dict(ApplicationNode._meta.get_field("level").flatchoices)
    # The CIs standing for catalogue nodes: their incidents show on the node.
    standing: dict[int, list[ConfigurationItem]] = {}
    for ci in visible.filter(application_id__in=node_ids).select_related("ci_class", "organisation"):
        standing.setdefault(ci.application_id, []).append(ci)
    app_class_ids = tree.application_class_ids()
    loose = list(visible.filter(ci_class_id__in=app_class_ids, application__isnull=True)
                 .select_related("ci_class", "organisation")[:MAX_NODES]) if app_class_ids else []
    all_ci_ids = [ci.pk for cis in standing.values() for ci in cis] + [ci.pk for ci in loose]
    incidents = open_incident_counts(all_ci_ids)
    nodes: list[dict[str, Any]] = []
    edges: list[dict[str, Any]] = []
    list_url = reverse("ui:cmdb_ci_list")
    for node in app_nodes:
        cis = standing.get(node.pk, [])
        count = sum(incidents.get(ci.pk, 0) for ci in cis)
        url = reverse("ui:cmdb_ci_detail", args=[cis[0].pk]) if len(cis) == 1 else (
            list_url + f"?application={node.pk}")
        nodes.append({
            "id": f"app-{node.pk}", "label": localized_name(node), "kind": "application", "class": node.level,
            "class_label": str(levels.get(node.level, node.level)), "family": node.level,
            "status": "", "organisation": localized_name(node.organisation),
            "incidents": count, "url": url, "incidents_url": url + "#incidents" if len(cis) == 1 else url,
            "root": node.parent_id is None or node.parent_id not in node_ids,
        })
        if node.parent_id in node_ids:
            edges.append({"id": f"a{node.pk}", "source": f"app-{node.parent_id}", "target": f"app-{node.pk}",
                          "kind": "child", "label": ""})
    service_label = str(Service._meta.verbose_name)
    for service in Service.objects.filter(application_id__in=node_ids, is_active=True):
        nodes.append({"id": f"service-{service.pk}", "label": localized_name(service), "kind": "service",
                      "class": "service", "class_label": service_label, "family": "service", "status": "",
                      "organisation": "", "incidents": 0, "root": False,
                      "url": reverse("ui:cmdb_map_operation") + f"?service={service.pk}"})
        edges.append({"id": f"sv{service.pk}", "source": f"app-{service.application_id}",
                      "target": f"service-{service.pk}", "kind": "serves", "label": ""})
    loose_ids = {ci.pk for ci in loose}
    part_of = Relation.objects.filter(kind=RelationKind.PART_OF, source_id__in=loose_ids).values_list(
        "id", "source_id", "target_id") if loose_ids else []
    parents = {}
    for pk, source, target in part_of:
        parents.setdefault(source, (pk, target))
    standing_node = {ci.pk: node_id for node_id, cis in standing.items() for ci in cis}
    for ci in loose:
        parent = parents.get(ci.pk)
        node = _ci_node(ci, tree, incidents.get(ci.pk, 0), root=parent is None, depth=0)
        nodes.append(node)
        if parent is not None:
            pk, target = parent
            target_id = f"ci-{target}" if target in loose_ids else (
                f"app-{standing_node[target]}" if target in standing_node else None)
            if target_id:
                edges.append({"id": f"r{pk}", "source": target_id, "target": f"ci-{ci.pk}", "kind": "child",
                              "label": str(RelationKind.PART_OF.label)})
            else:
                node["root"] = True
    return {"nodes": nodes, "edges": edges, "truncated": False, "directed": True}
