"""The configuration management database: classes, attributes, CIs, relations, assets, incident links.

Design (see also ``services.py``):

- A **CI class** (``CIClass``) is a row an administrator creates; classes form a tree (``parent``) and a
  class inherits every attribute of its ancestors (an attribute of “hardware” applies to “server”).
- An **attribute definition** (``AttributeDefinition``) is a row too: code, label, type (text, number,
  date, choice, reference to a CI, IP address), required, unique and per-type options. Adding one needs
  no code and no migration.
- A **CI** (``ConfigurationItem``) keeps its attribute values in one JSON column ``attributes``
  (``{code: value}``, JSON-native values: text → str, number → int/float, date → "YYYY-MM-DD",
  choice → the choice, reference → the referenced CI's id, IP → its compressed text). The same values are
  mirrored, one row per value, into the small indexed side table ``AttributeValue`` (normalised
  ``value_key`` text and ``value_number``), which serves filtering by any attribute (``attr.<code>=…``,
  number and date ranges) on SQLite and PostgreSQL alike, and enforces unique attributes (serial number,
  asset tag) with a partial unique index — a database guarantee, not only a check.
- A CI's ``state`` is its lifecycle (registered → verified → in use → in repair → upgraded → retired /
  scrapped); asset data (purchase, acceptance, warranty, location, custodian, financial category, value,
  maintained or not) are plain columns on the CI, blank for CIs that are not assets (an application).
- **Relations** are typed and directional (``source <kind> target``), allowed per class pair by
  ``RelationRule`` rows (a rule for a class allows its subclasses); impact follows each kind's direction
  (``rules.IMPACT_DIRECTION``).
- **Catalogue links**: a CI may stand for an application catalogue node (``application``) and may support
  services (``CIService``); impact analysis reaches services, applications and, through organisations, users.
- **Incident links** (``IncidentCI``) say which CIs an incident affects, with who and when.
- History is the audit trail (``opsdesk.audit``): every service writes ``cmdb.ci_*`` entries with
  ``data={"changes": {field: [old, new]}}``; the CI page renders them as a timeline.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from opsdesk.accounts.models import Organisation
from opsdesk.catalog.models import ApplicationNode, BilingualName, Service
from opsdesk.incidents.models import Incident

from .choices import AttributeType, CIState, FinancialCategory, IpVersion, RelationKind

User = settings.AUTH_USER_MODEL


class CIClass(BilingualName):
    """A kind of configuration item (server, network device, database …), in a tree of classes."""

    code = models.SlugField(_("code"), max_length=60, unique=True)
    parent = models.ForeignKey(
        "self", verbose_name=_("parent class"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="children",
    )
    description = models.TextField(_("description"), blank=True)
    icon = models.CharField(_("icon"), max_length=40, blank=True, help_text=_("A Bootstrap Icons name, e.g. hdd-rack."))
    is_maintained = models.BooleanField(
        _("maintained"), default=True,
        help_text=_("CIs of this class count for maintenance cost by default (cabinets, tools and cabling do not)."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), editable=False)

    class Meta:
        ordering = ["code"]
        verbose_name = _("CI class")
        verbose_name_plural = _("CI classes")


class AttributeDefinition(BilingualName):
    """One attribute of a CI class (and, by inheritance, of its subclasses)."""

    ci_class = models.ForeignKey(CIClass, verbose_name=_("class"), on_delete=models.CASCADE, related_name="attributes")
    code = models.SlugField(_("code"), max_length=60, help_text=_("Letters, digits and underscores; the key of the value."))
    type = models.CharField(_("type"), max_length=20, choices=AttributeType.choices)
    required = models.BooleanField(_("required"), default=False)
    unique = models.BooleanField(_("unique"), default=False, help_text=_("No two CIs may have the same value."))
    choices = models.JSONField(_("choices"), default=list, blank=True, help_text=_("The allowed values of a choice."))
    reference_class = models.ForeignKey(
        CIClass, verbose_name=_("referenced class"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+", help_text=_("A reference must point to a CI of this class (or a subclass)."),
    )
    ip_version = models.PositiveSmallIntegerField(_("IP version"), choices=IpVersion.choices, default=IpVersion.ANY)
    min_value = models.DecimalField(_("minimum"), max_digits=20, decimal_places=6, null=True, blank=True)
    max_value = models.DecimalField(_("maximum"), max_digits=20, decimal_places=6, null=True, blank=True)
    regex = models.CharField(_("pattern"), max_length=200, blank=True, help_text=_("A text value must match it."))
    help_text = models.CharField(_("help text"), max_length=200, blank=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    created_at = models.DateTimeField(_("created at"), editable=False)

    class Meta:
        ordering = ["ci_class_id", "order", "id"]
        constraints = [models.UniqueConstraint(fields=["ci_class", "code"], name="cmdb_unique_attribute_code")]
        verbose_name = _("attribute")
        verbose_name_plural = _("attributes")


class ConfigurationItem(models.Model):
    """A configuration item (配置项): a device, system, licence … and, when it is one, an asset."""

    name = models.CharField(_("name"), max_length=200)
    ci_class = models.ForeignKey(CIClass, verbose_name=_("class"), on_delete=models.PROTECT, related_name="cis")
    organisation = models.ForeignKey(
        Organisation, verbose_name=_("organisation"), on_delete=models.PROTECT, related_name="+", db_index=False
    )
    state = models.CharField(_("state"), max_length=20, choices=CIState.choices, default=CIState.REGISTERED)
    attributes = models.JSONField(_("attributes"), default=dict, blank=True)
    description = models.TextField(_("description"), blank=True)
    application = models.ForeignKey(
        ApplicationNode, verbose_name=_("application"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="cis", help_text=_("The application catalogue node this CI stands for."),
    )
    services = models.ManyToManyField(Service, through="CIService", related_name="cis", blank=True)

    # Asset data (CMDB-4); blank for CIs that are not assets.
    supplier = models.CharField(_("supplier"), max_length=200, blank=True)
    contract_number = models.CharField(_("contract number"), max_length=100, blank=True)
    purchase_date = models.DateField(_("purchase date"), null=True, blank=True)
    acceptance_date = models.DateField(_("acceptance date"), null=True, blank=True)
    warranty_end = models.DateField(_("warranty end"), null=True, blank=True, db_index=True)
    location = models.CharField(_("location"), max_length=200, blank=True)
    custodian = models.ForeignKey(
        User, verbose_name=_("custodian"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    financial_category = models.CharField(
        _("financial category"), max_length=20, choices=FinancialCategory.choices, blank=True
    )
    value = models.DecimalField(_("value"), max_digits=14, decimal_places=2, null=True, blank=True)
    is_maintained = models.BooleanField(_("maintained"), default=True)

    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    created_at = models.DateTimeField(_("created at"), editable=False)
    updated_at = models.DateTimeField(_("updated at"), editable=False)
    created_by = models.ForeignKey(
        User, verbose_name=_("created by"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-id"]
        verbose_name = _("configuration item")
        verbose_name_plural = _("configuration items")
        indexes = [
            models.Index(fields=["organisation", "id"], name="cmdb_ci_org_idx"),
            models.Index(fields=["ci_class", "id"], name="cmdb_ci_class_idx"),
            models.Index(fields=["state", "id"], name="cmdb_ci_state_idx"),
            models.Index(fields=["name"], name="cmdb_ci_name_idx"),
        ]

    def __str__(self) -> str:
        return self.name


class AttributeValue(models.Model):
    """One attribute value of one CI, normalised for filtering and uniqueness (mirrors ``CI.attributes``).

    ``value_key``: the value as text, trimmed and case-folded (dates ISO, so ranges compare as text;
    references the CI id); ``value_number``: numbers. ``is_unique`` copies the definition's flag so a
    partial unique index enforces unique attributes.
    """

    ci = models.ForeignKey(ConfigurationItem, on_delete=models.CASCADE, related_name="attribute_values")
    attribute = models.ForeignKey(AttributeDefinition, on_delete=models.CASCADE, related_name="+", db_index=False)
    value_key = models.CharField(max_length=255)
    value_number = models.FloatField(null=True, blank=True)
    is_unique = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["ci", "attribute"], name="cmdb_one_value_per_attribute"),
            models.UniqueConstraint(fields=["attribute", "value_key"], condition=models.Q(is_unique=True),
                                    name="cmdb_unique_attribute_value"),
        ]
        indexes = [
            models.Index(fields=["attribute", "value_key"], name="cmdb_attr_key_idx"),
            models.Index(fields=["attribute", "value_number"], name="cmdb_attr_number_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.ci_id}.{self.attribute_id}={self.value_key}"


class Relation(models.Model):
    """``source <kind> target``, e.g. “erp-db runs on srv-01”."""

    source = models.ForeignKey(ConfigurationItem, verbose_name=_("from"), on_delete=models.CASCADE,
                               related_name="relations_out", db_index=False)
    target = models.ForeignKey(ConfigurationItem, verbose_name=_("to"), on_delete=models.CASCADE,
                               related_name="relations_in", db_index=False)
    kind = models.CharField(_("relation"), max_length=20, choices=RelationKind.choices)
    description = models.CharField(_("description"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created at"), editable=False)
    created_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["source", "target", "kind"], name="cmdb_unique_relation"),
            models.CheckConstraint(condition=~models.Q(source=models.F("target")), name="cmdb_no_self_relation"),
        ]
        indexes = [
            models.Index(fields=["target", "kind"], name="cmdb_rel_target_idx"),
            models.Index(fields=["source", "kind"], name="cmdb_rel_source_idx"),
        ]
        verbose_name = _("relation")
        verbose_name_plural = _("relations")

    def __str__(self) -> str:
        return f"{self.source_id} {self.kind} {self.target_id}"


class RelationRule(models.Model):
    """Allows ``<source class or a subclass> <kind> <target class or a subclass>``."""

    kind = models.CharField(_("relation"), max_length=20, choices=RelationKind.choices)
    source_class = models.ForeignKey(CIClass, verbose_name=_("from class"), on_delete=models.CASCADE, related_name="+")
    target_class = models.ForeignKey(CIClass, verbose_name=_("to class"), on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["kind", "source_class", "target_class"],
                                               name="cmdb_unique_relation_rule")]
        verbose_name = _("relation rule")
        verbose_name_plural = _("relation rules")

    def __str__(self) -> str:
        return f"{self.source_class_id} {self.kind} {self.target_class_id}"


class CIService(models.Model):
    """The CI supports the service: its failure affects the service."""

    ci = models.ForeignKey(ConfigurationItem, on_delete=models.CASCADE, related_name="service_links")
    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="ci_links")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["ci", "service"], name="cmdb_unique_ci_service")]

    def __str__(self) -> str:
        return f"{self.ci_id} → {self.service_id}"


class CustodyAgreement(models.Model):
    """A custody agreement (保管协议): who keeps the asset, under which signed agreement."""

    ci = models.ForeignKey(ConfigurationItem, verbose_name=_("asset"), on_delete=models.CASCADE,
                           related_name="custody_agreements")
    number = models.CharField(_("agreement number"), max_length=100)
    signed_on = models.DateField(_("signed on"))
    custodian = models.ForeignKey(User, verbose_name=_("custodian"), on_delete=models.PROTECT, related_name="+")
    file = models.FileField(_("scanned agreement"), upload_to="cmdb/custody/", max_length=300, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created at"), editable=False)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-signed_on", "-id"]
        verbose_name = _("custody agreement")
        verbose_name_plural = _("custody agreements")

    def __str__(self) -> str:
        return self.number


class IncidentCI(models.Model):
    """An incident affects this CI."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="ci_links")
    ci = models.ForeignKey(ConfigurationItem, on_delete=models.CASCADE, related_name="incident_links")
    added_at = models.DateTimeField(_("added at"))
    added_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["incident", "ci"], name="cmdb_unique_incident_ci")]
        verbose_name = _("affected CI")
        verbose_name_plural = _("affected CIs")

    def __str__(self) -> str:
        return f"{self.incident_id} → {self.ci_id}"


class GraphChange(models.Model):
    """One change to what the in-memory impact graph holds (``cmdb/graph.py``), written in the changing transaction.

    ``generation`` counts changes (the writers queue on one counter row, so generations commit in order);
    ``token`` is random, so a reader can tell a rolled-back generation from a later one reusing its number.
    A reader holding generation *n* re-reads only the CIs and CI pairs named by the changes after *n*.
    """

    generation = models.BigIntegerField(primary_key=True)
    token = models.BigIntegerField()
    ci_ids = models.JSONField(default=list, blank=True)  # CIs whose organisation, application or services changed
    pairs = models.JSONField(default=list, blank=True)  # [a, b]: CI pairs whose relations changed
    full = models.BooleanField(default=False)  # too much changed (an import): readers reload everything

    class Meta:
        verbose_name = _("impact graph change")
        verbose_name_plural = _("impact graph changes")

    def __str__(self) -> str:
        return str(self.generation)
