from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class IncidentState(models.TextChoices):
    NEW = "new", pgettext_lazy("incident state", "New")
    ASSIGNED = "assigned", pgettext_lazy("incident state", "Assigned")
    IN_PROGRESS = "in_progress", pgettext_lazy("incident state", "In progress")
    PENDING = "pending", pgettext_lazy("incident state", "Pending")
    RESOLVED = "resolved", pgettext_lazy("incident state", "Resolved")
    CLOSED = "closed", pgettext_lazy("incident state", "Closed")
    CANCELLED = "cancelled", pgettext_lazy("incident state", "Cancelled")


OPEN_STATES = (IncidentState.NEW, IncidentState.ASSIGNED, IncidentState.IN_PROGRESS, IncidentState.PENDING)
ACTIVE_STATES = (*OPEN_STATES, IncidentState.RESOLVED)
WORKING_STATES = (IncidentState.ASSIGNED, IncidentState.IN_PROGRESS, IncidentState.PENDING)


class Impact(models.IntegerChoices):
    HIGH = 1, _("High — many users or a whole service")
    MEDIUM = 2, _("Medium — a department or site")
    LOW = 3, _("Low — one user")


class Urgency(models.IntegerChoices):
    HIGH = 1, _("High — work has stopped")
    MEDIUM = 2, _("Medium — work is hampered")
    LOW = 3, _("Low — can wait")


class Priority(models.IntegerChoices):
    CRITICAL = 1, _("P1 Critical")
    HIGH = 2, _("P2 High")
    MEDIUM = 3, _("P3 Medium")
    LOW = 4, _("P4 Low")


class Channel(models.TextChoices):
    PORTAL = "portal", _("Self-service portal")
    PHONE = "phone", _("Phone")
    EMAIL = "email", _("Email")
    MONITORING = "monitoring", _("Monitoring alert")
    INSPECTION = "inspection", _("Inspection finding")
    API = "api", _("API")


class PendingReason(models.TextChoices):
    CUSTOMER = "customer", _("Waiting for the customer")
    VENDOR = "vendor", _("Waiting for a vendor")


class CauseCode(models.TextChoices):
    HARDWARE = "hardware", _("Hardware fault")
    SOFTWARE = "software", _("Software defect")
    NETWORK = "network", _("Network")
    CONFIGURATION = "configuration", _("Configuration")
    OPERATION = "operation", _("Operation or user error")
    DATA = "data", _("Data problem")
    VENDOR = "vendor", _("Vendor or third party")
    CAPACITY = "capacity", _("Capacity or performance")
    REQUEST = "request", _("Not a fault (request or question)")
    UNKNOWN = "unknown", _("Unknown")
