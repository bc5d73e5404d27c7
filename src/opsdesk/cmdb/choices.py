"""Choices of the cmdb app: attribute types, CI states (the asset lifecycle), relation kinds."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class AttributeType(models.TextChoices):
    TEXT = "text", _("Text")
    NUMBER = "number", _("Number")
    DATE = "date", _("Date")
    CHOICE = "choice", _("Choice")
    REFERENCE = "reference", _("Reference to a CI")
    IP_ADDRESS = "ip", _("IP address")


class IpVersion(models.IntegerChoices):
    ANY = 0, _("IPv4 or IPv6")
    V4 = 4, _("IPv4")
    V6 = 6, _("IPv6")


class CIState(models.TextChoices):
    """The lifecycle every CI goes through (for assets, CMDB-4): registered → verified → in use → …"""

    REGISTERED = "registered", pgettext_lazy("ci state", "Registered")
    VERIFIED = "verified", pgettext_lazy("ci state", "Verified")
    IN_USE = "in_use", pgettext_lazy("ci state", "In use")
    IN_REPAIR = "in_repair", pgettext_lazy("ci state", "In repair")
    UPGRADED = "upgraded", pgettext_lazy("ci state", "Upgraded")
    RETIRED = "retired", pgettext_lazy("ci state", "Retired")
    SCRAPPED = "scrapped", pgettext_lazy("ci state", "Scrapped")


# States in which a CI is part of the running estate (counts for impact, maps, maintenance).
ACTIVE_STATES = frozenset({CIState.REGISTERED, CIState.VERIFIED, CIState.IN_USE, CIState.IN_REPAIR, CIState.UPGRADED})
FINAL_STATES = frozenset({CIState.SCRAPPED})


class RelationKind(models.TextChoices):
    """``source <kind> target``: e.g. “app-01 runs on srv-01”, “srv-01 connected to sw-core”."""

    RUNS_ON = "runs_on", _("runs on")
    DEPENDS_ON = "depends_on", _("depends on")
    CONNECTED_TO = "connected_to", _("connected to")
    PART_OF = "part_of", _("part of")
    BACKS_UP = "backs_up", _("backs up")


class FinancialCategory(models.TextChoices):
    FIXED_ASSET = "fixed_asset", _("Fixed asset")
    LOW_VALUE = "low_value", _("Low-value consumable")
    INTANGIBLE = "intangible", _("Intangible asset")
    LEASED = "leased", _("Leased")
    OTHER = "other", _("Other")
