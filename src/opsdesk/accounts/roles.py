"""The roles of PRODUCT.md as real permissions.

A role is assigned to a user for an organisation (and, by default, the
organisations below it). A permission is a stable code; a role grants a set
of them. Services ask ``actor_can(user, PERMISSION, organisation)``.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    REQUESTER = "requester", _("Requester")
    ORGANISATION_VIEWER = "organisation_viewer", _("Organisation viewer")
    SERVICE_DESK = "service_desk", _("Service desk agent")
    CATEGORY_ADMIN = "category_admin", _("Category administrator")
    ENGINEER_L1 = "engineer_l1", _("L1 engineer")
    ENGINEER_L2 = "engineer_l2", _("L2 engineer")
    ENGINEER_L3 = "engineer_l3", _("L3 engineer")
    INCIDENT_MANAGER = "incident_manager", _("Incident manager")
    AUDITOR = "auditor", _("Auditor")
    CONFIGURATION_MANAGER = "configuration_manager", _("Configuration manager")
    ADMINISTRATOR = "administrator", _("Administrator")


class Permission:
    """Permission codes. Each names one thing a role lets its holder do."""

    INCIDENT_REPORT = "incident.report"  # report one's own incidents (portal)
    INCIDENT_VIEW = "incident.view"  # read every incident of the organisation scope
    INCIDENT_RECORD = "incident.record"  # record an incident on a caller's behalf
    INCIDENT_DISPATCH = "incident.dispatch"  # classify, prioritise, assign, re-dispatch
    INCIDENT_WORK = "incident.work"  # take, log work, pend, escalate, return, resolve
    INCIDENT_CLOSE = "incident.close"  # close, record a call-back, reopen for a caller
    INCIDENT_MAJOR = "incident.major"  # flag and own major incidents
    INCIDENT_INTERNAL = "incident.internal"  # read and write internal comments and work logs
    ROUTING_MANAGE = "routing.manage"  # maintain category routing rules
    AUDIT_READ = "audit.read"  # read the audit trail
    ADMINISTER = "admin.manage"  # users, groups, organisations, catalogues
    CMDB_VIEW = "cmdb.view"  # read CIs, their relations, maps and impact (in the organisation scope)
    CMDB_WRITE = "cmdb.write"  # create and edit CIs, relations, lifecycle and custody (in the organisation scope)
    CMDB_CONFIGURE = "cmdb.configure"  # CI classes, attributes, relation rules, Excel import


P = Permission
# Every staff role reads the CMDB; engineers, incident managers, configuration managers and administrators
# change CIs; only configuration managers and administrators define the CMDB's classes, rules and imports.
# The service desk reads CIs (and picks them as an incident's affected CIs) but does not change them.
_STAFF_READ = {P.INCIDENT_VIEW, P.INCIDENT_INTERNAL, P.CMDB_VIEW}
_ENGINEER = _STAFF_READ | {P.INCIDENT_WORK, P.INCIDENT_REPORT, P.CMDB_WRITE}

ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    Role.REQUESTER: frozenset({P.INCIDENT_REPORT}),
    Role.ORGANISATION_VIEWER: frozenset({P.INCIDENT_REPORT, P.INCIDENT_VIEW}),
    Role.SERVICE_DESK: frozenset(
        _STAFF_READ | {P.INCIDENT_REPORT, P.INCIDENT_RECORD, P.INCIDENT_DISPATCH, P.INCIDENT_WORK, P.INCIDENT_CLOSE}
    ),
    Role.CATEGORY_ADMIN: frozenset(_STAFF_READ | {P.ROUTING_MANAGE}),
    Role.ENGINEER_L1: frozenset(_ENGINEER),
    Role.ENGINEER_L2: frozenset(_ENGINEER),
    Role.ENGINEER_L3: frozenset(_ENGINEER),
    Role.INCIDENT_MANAGER: frozenset(
        _ENGINEER | {P.INCIDENT_RECORD, P.INCIDENT_DISPATCH, P.INCIDENT_CLOSE, P.INCIDENT_MAJOR}
    ),
    Role.AUDITOR: frozenset(_STAFF_READ | {P.AUDIT_READ}),
    Role.CONFIGURATION_MANAGER: frozenset(_STAFF_READ | {P.CMDB_WRITE, P.CMDB_CONFIGURE}),
    Role.ADMINISTRATOR: frozenset(
        _ENGINEER
        | {
            P.INCIDENT_RECORD,
            P.INCIDENT_DISPATCH,
            P.INCIDENT_CLOSE,
            P.INCIDENT_MAJOR,
            P.ROUTING_MANAGE,
            P.AUDIT_READ,
            P.ADMINISTER,
            P.CMDB_CONFIGURE,
        }
    ),
}

# Roles whose holders only read: the service layer refuses every write they attempt.
READ_ONLY_ROLES = frozenset({Role.AUDITOR})
