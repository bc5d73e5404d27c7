"""Organisations, users, support groups, role assignments and API tokens."""

from __future__ import annotations

from functools import cached_property

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from .roles import ROLE_PERMISSIONS, Role


class OrganisationLevel(models.TextChoices):
    HEADQUARTERS = "headquarters", _("Headquarters")
    PROVINCE = "province", _("Provincial company")
    CITY = "city", _("City company")
    DEPARTMENT = "department", _("Department")


class Organisation(models.Model):
    """A node of the organisation tree: headquarters → province → city."""

    name = models.CharField(_("name"), max_length=120)
    name_en = models.CharField(_("English name"), max_length=120, blank=True)
    code = models.SlugField(_("code"), max_length=40, unique=True)
    level = models.CharField(_("level"), max_length=20, choices=OrganisationLevel.choices)
    parent = models.ForeignKey(
        "self", verbose_name=_("parent"), null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    # Materialised path of ids, e.g. "/1/4/9/": descendants are ``path__startswith``.
    path = models.CharField(max_length=255, db_index=True, editable=False, default="/")

    class Meta:
        ordering = ["path"]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")

    def __str__(self) -> str:
        return self.name

    @property
    def depth(self) -> int:
        return self.path.count("/") - 2


class User(AbstractUser):
    display_name = models.CharField(_("display name"), max_length=120, blank=True)
    organisation = models.ForeignKey(
        Organisation, verbose_name=_("organisation"), null=True, blank=True, on_delete=models.PROTECT, related_name="users"
    )
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    language = models.CharField(_("language"), max_length=10, blank=True, default="zh-hans")
    time_zone = models.CharField(_("time zone"), max_length=60, default="Asia/Shanghai")
    staff_level = models.ForeignKey(
        "StaffLevel", verbose_name=_("staff level"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="users",
    )

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.display_name or self.username

    @cached_property
    def role_grants(self) -> list[tuple[str, int, str, bool]]:
        """(role, organisation id, organisation path, include descendants) for each assignment."""
        return [
            (a.role, a.organisation_id, a.organisation.path, a.include_descendants)
            for a in self.role_assignments.select_related("organisation")
        ]

    @cached_property
    def permissions(self) -> frozenset[str]:
        if self.is_superuser:
            return ROLE_PERMISSIONS[Role.ADMINISTRATOR]
        return frozenset().union(*(ROLE_PERMISSIONS.get(role, frozenset()) for role, *_ in self.role_grants))

    @cached_property
    def roles(self) -> list[str]:
        return sorted({role for role, *_ in self.role_grants})

    @cached_property
    def support_group_ids(self) -> frozenset[int]:
        return frozenset(self.group_memberships.values_list("group_id", flat=True))

    @cached_property
    def led_group_ids(self) -> frozenset[int]:
        return frozenset(self.led_groups.values_list("id", flat=True))

    def holds(self, permission: str) -> bool:
        return permission in self.permissions


class SupportLine(models.TextChoices):
    SERVICE_DESK = "desk", _("Service desk")
    L1 = "l1", _("Line 1")
    L2 = "l2", _("Line 2")
    L3 = "l3", _("Line 3")
    VENDOR = "vendor", _("Vendor")


LINE_ORDER = {SupportLine.SERVICE_DESK: 0, SupportLine.L1: 1, SupportLine.L2: 2, SupportLine.L3: 3, SupportLine.VENDOR: 4}


class AssignmentStrategy(models.TextChoices):
    MANUAL = "manual", _("Manual (the group takes it)")
    ROUND_ROBIN = "round_robin", _("Round robin")
    LEAST_LOADED = "least_loaded", _("Least loaded")


class SupportGroup(models.Model):
    """A group that handles records: the service desk, an L1/L2/L3 team, a vendor."""

    name = models.CharField(_("name"), max_length=120)
    name_en = models.CharField(_("English name"), max_length=120, blank=True)
    code = models.SlugField(_("code"), max_length=40, unique=True)
    organisation = models.ForeignKey(Organisation, verbose_name=_("organisation"), on_delete=models.PROTECT)
    line = models.CharField(_("support line"), max_length=10, choices=SupportLine.choices)
    lead = models.ForeignKey(
        User, verbose_name=_("group lead"), null=True, blank=True, on_delete=models.SET_NULL, related_name="led_groups"
    )
    strategy = models.CharField(
        _("assignment inside the group"), max_length=20, choices=AssignmentStrategy.choices, default=AssignmentStrategy.MANUAL
    )
    last_assigned_user = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    members = models.ManyToManyField(User, through="GroupMembership", related_name="support_groups")

    class Meta:
        ordering = ["organisation__path", "line", "name"]
        verbose_name = _("support group")
        verbose_name_plural = _("support groups")

    def __str__(self) -> str:
        return self.name

    @property
    def line_rank(self) -> int:
        return LINE_ORDER[SupportLine(self.line)]


class GroupMembership(models.Model):
    group = models.ForeignKey(SupportGroup, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="group_memberships")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["group", "user"], name="unique_group_membership")]

    def __str__(self) -> str:
        return f"{self.group} · {self.user}"


class RoleAssignment(models.Model):
    """A role held in an organisation (and by default the organisations below it)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="role_assignments")
    role = models.CharField(_("role"), max_length=30, choices=Role.choices)
    organisation = models.ForeignKey(Organisation, verbose_name=_("organisation"), on_delete=models.CASCADE)
    include_descendants = models.BooleanField(_("includes lower organisations"), default=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "role", "organisation"], name="unique_role_assignment")
        ]
        verbose_name = _("role assignment")

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()} · {self.organisation}"


class ApiToken(models.Model):
    """A named personal API token. Only its SHA-256 digest is stored."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=80)
    prefix = models.CharField(max_length=12, editable=False)
    digest = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("created at"))
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("API token")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


class StaffLevel(models.Model):
    """A staff level (人员级别): junior, intermediate, senior, expert, vendor engineer …; its cost rate changes over time."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=80)
    name_en = models.CharField(_("English name"), max_length=80, blank=True)
    rank = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["rank", "code"]
        verbose_name = _("staff level")
        verbose_name_plural = _("staff levels")

    def __str__(self) -> str:
        return self.name


class StaffLevelRate(models.Model):
    """The level's cost per hour (CNY) from ``effective_from`` (a date in the organisation's zone) on.

    A rate is never changed once work was priced with it: a new rate starts on a later date, so last
    year's work keeps last year's rate.
    """

    level = models.ForeignKey(StaffLevel, verbose_name=_("staff level"), on_delete=models.CASCADE, related_name="rates")
    effective_from = models.DateField(_("effective from"))
    hourly_rate = models.DecimalField(_("cost per hour (CNY)"), max_digits=10, decimal_places=2)
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        ordering = ["level", "-effective_from"]
        verbose_name = _("staff level rate")
        constraints = [
            models.UniqueConstraint(fields=["level", "effective_from"], name="unique_staff_level_rate_date"),
            models.CheckConstraint(condition=models.Q(hourly_rate__gte=0), name="staff_level_rate_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.level} · {self.effective_from} · {self.hourly_rate}"


class UserStaffLevel(models.Model):
    """From ``effective_from`` on, ``user`` works at ``level`` (None: at no level). ``User.staff_level`` is the
    level in effect today; this history lets work keep the level it was done at after a promotion."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="staff_level_history")
    level = models.ForeignKey(StaffLevel, verbose_name=_("staff level"), null=True, blank=True,
                              on_delete=models.PROTECT, related_name="+")
    effective_from = models.DateField(_("effective from"))
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        ordering = ["user", "-effective_from"]
        verbose_name = _("staff level of a person")
        constraints = [
            models.UniqueConstraint(fields=["user", "effective_from"], name="unique_user_staff_level_date"),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.effective_from} · {self.level}"
