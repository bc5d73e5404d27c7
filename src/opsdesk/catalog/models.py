"""Services, their category trees and the routing rules that dispatch by category."""

from __future__ import annotations

from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from opsdesk.accounts.models import Organisation, SupportGroup


class ServiceKind(models.TextChoices):
    PRODUCTION = "production", _("Production management system")
    ERP = "erp", _("ERP")
    MAIL = "mail", _("Mail")
    NETWORK = "network", _("Network")
    DESKTOP = "desktop", _("Desktop")
    OTHER = "other", _("Other")


class BilingualName(models.Model):
    name = models.CharField(_("name"), max_length=120)
    name_en = models.CharField(_("English name"), max_length=120, blank=True)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        language = get_language() or ""
        return self.name_en if language.startswith("en") and self.name_en else self.name


class ApplicationLevel(models.TextChoices):
    SYSTEM = "system", _("System")
    SUBSYSTEM = "subsystem", _("Subsystem")
    PLATFORM = "platform", _("Platform")
    MODULE = "module", _("Module")


# The level a child of each level has: system → subsystem → platform → module.
CHILD_LEVEL = {
    ApplicationLevel.SYSTEM: ApplicationLevel.SUBSYSTEM,
    ApplicationLevel.SUBSYSTEM: ApplicationLevel.PLATFORM,
    ApplicationLevel.PLATFORM: ApplicationLevel.MODULE,
}


class ApplicationNode(BilingualName):
    """A node of the application catalogue (应用目录): system → subsystem → platform → module."""

    level = models.CharField(_("level"), max_length=20, choices=ApplicationLevel.choices)
    parent = models.ForeignKey(
        "self", verbose_name=_("parent"), null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    code = models.SlugField(_("code"), max_length=60, unique=True)
    description = models.TextField(_("description"), blank=True)
    owner_group = models.ForeignKey(
        SupportGroup, verbose_name=_("owner group"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    organisation = models.ForeignKey(
        Organisation, verbose_name=_("organisation"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["parent_id", "name"]
        constraints = [
            # A system stands at the top; every other level hangs under a parent (services check which).
            models.CheckConstraint(
                condition=models.Q(level="system", parent__isnull=True)
                | (~models.Q(level="system") & models.Q(parent__isnull=False)),
                name="application_node_only_systems_at_top",
            ),
        ]
        verbose_name = _("application catalogue node")
        verbose_name_plural = _("application catalogue")


class Service(BilingualName):
    """A business system or IT service that incidents are reported against."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=ServiceKind.choices, default=ServiceKind.OTHER)
    description = models.TextField(_("description"), blank=True)
    owner_group = models.ForeignKey(
        SupportGroup, verbose_name=_("owner group"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    application = models.ForeignKey(
        ApplicationNode, verbose_name=_("application"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="services",
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("service")
        verbose_name_plural = _("services")


class Category(BilingualName):
    """A node of a service's category tree."""

    service = models.ForeignKey(Service, verbose_name=_("service"), on_delete=models.CASCADE, related_name="categories")
    parent = models.ForeignKey(
        "self", verbose_name=_("parent"), null=True, blank=True, on_delete=models.CASCADE, related_name="children"
    )
    code = models.SlugField(_("code"), max_length=40)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["service", "parent_id", "id"]
        constraints = [models.UniqueConstraint(fields=["service", "code"], name="unique_category_code_per_service")]
        verbose_name = _("category")
        verbose_name_plural = _("categories")

    @property
    def full_name(self) -> str:
        return f"{self.parent.display_name} / {self.display_name}" if self.parent_id else self.display_name


class RoutingRule(models.Model):
    """Category → group. The most specific matching rule wins (category, then service; organisation narrows)."""

    service = models.ForeignKey(Service, verbose_name=_("service"), on_delete=models.CASCADE, related_name="routing_rules")
    category = models.ForeignKey(
        Category, verbose_name=_("category"), null=True, blank=True, on_delete=models.CASCADE, related_name="routing_rules"
    )
    organisation = models.ForeignKey(
        Organisation, verbose_name=_("organisation"), null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    group = models.ForeignKey(SupportGroup, verbose_name=_("group"), on_delete=models.CASCADE, related_name="+")
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("routing rule")
        verbose_name_plural = _("routing rules")

    def __str__(self) -> str:
        return f"{self.category or self.service} → {self.group}"
