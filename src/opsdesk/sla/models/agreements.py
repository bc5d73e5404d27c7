"""Service level agreements: targets per priority, pause conditions, thresholds; operational targets per group."""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from opsdesk.accounts.models import SupportGroup
from opsdesk.calendars.models import BusinessCalendar
from opsdesk.catalog.models import Service
from opsdesk.incidents.choices import Priority


class ServiceLevelAgreement(models.Model):
    """What a service promises: per priority a response and a resolution target, counted in a calendar."""

    name = models.CharField(_("name"), max_length=120)
    name_en = models.CharField(_("English name"), max_length=120, blank=True)
    code = models.SlugField(_("code"), max_length=60, unique=True)
    description = models.TextField(_("description"), blank=True)
    calendar = models.ForeignKey(
        BusinessCalendar, verbose_name=_("business calendar"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+", help_text=_("Empty: the calendar of the incident's organisation."),
    )
    pause_on_customer = models.BooleanField(_("pause while pending on the customer"), default=True)
    pause_on_vendor = models.BooleanField(_("pause while pending on a vendor"), default=False)
    is_active = models.BooleanField(_("active"), default=True)
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    created_at = models.DateTimeField(_("created at"), editable=False)
    updated_at = models.DateTimeField(_("updated at"), editable=False)

    class Meta:
        ordering = ["code"]
        verbose_name = _("service level agreement")
        verbose_name_plural = _("service level agreements")

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        language = get_language() or ""
        return self.name_en if language.startswith("en") and self.name_en else self.name

    @property
    def pause_reasons(self) -> frozenset[str]:
        """The pending reasons (``PendingReason`` values) that pause the resolution clock."""
        return frozenset(reason for reason, on in (("customer", self.pause_on_customer),
                                                   ("vendor", self.pause_on_vendor)) if on)


class AgreementTarget(models.Model):
    """The response and resolution targets of one priority, in business minutes."""

    agreement = models.ForeignKey(ServiceLevelAgreement, on_delete=models.CASCADE, related_name="targets")
    priority = models.PositiveSmallIntegerField(_("priority"), choices=Priority.choices)
    response_minutes = models.PositiveIntegerField(_("response target (business minutes)"),
                                                   validators=[MinValueValidator(1)])
    resolution_minutes = models.PositiveIntegerField(_("resolution target (business minutes)"),
                                                     validators=[MinValueValidator(1)])

    class Meta:
        ordering = ["agreement", "priority"]
        verbose_name = _("agreement target")
        constraints = [
            models.UniqueConstraint(fields=["agreement", "priority"], name="sla_target_unique_priority"),
            models.CheckConstraint(condition=models.Q(response_minutes__gt=0, resolution_minutes__gt=0),
                                   name="sla_target_positive"),
        ]

    def __str__(self) -> str:
        return f"P{self.priority}: {self.response_minutes}/{self.resolution_minutes} min"


class AgreementThreshold(models.Model):
    """At ``percent`` of a target, who is told. 100 % is the breach: the clock is marked breached."""

    agreement = models.ForeignKey(ServiceLevelAgreement, on_delete=models.CASCADE, related_name="thresholds")
    percent = models.PositiveSmallIntegerField(_("percent of the target"),
                                               validators=[MinValueValidator(1), MaxValueValidator(100)])
    notify_assignee = models.BooleanField(_("notify the handler"), default=True)
    notify_group_lead = models.BooleanField(_("notify the group lead"), default=True)
    notify_managers = models.BooleanField(_("notify the incident managers"), default=False)

    class Meta:
        ordering = ["agreement", "percent"]
        verbose_name = _("threshold")
        constraints = [
            models.UniqueConstraint(fields=["agreement", "percent"], name="sla_threshold_unique_percent"),
            models.CheckConstraint(condition=models.Q(percent__gte=1, percent__lte=100), name="sla_threshold_percent_range"),
        ]

    def __str__(self) -> str:
        return f"{self.percent} %"


class ServiceAgreement(models.Model):
    """The agreement a service product is offered under (kept here so the catalogue needs no migration)."""

    service = models.OneToOneField(Service, on_delete=models.CASCADE, primary_key=True, related_name="sla_link")
    agreement = models.ForeignKey(ServiceLevelAgreement, on_delete=models.PROTECT, related_name="service_links")

    class Meta:
        verbose_name = _("service agreement")

    def __str__(self) -> str:
        return f"{self.service_id} → {self.agreement_id}"


class OperationalTarget(models.Model):
    """OLA: how long a record may stay with a group (per priority, or for any priority), in business minutes."""

    group = models.ForeignKey(SupportGroup, verbose_name=_("group"), on_delete=models.CASCADE,
                              related_name="operational_targets")
    priority = models.PositiveSmallIntegerField(_("priority"), choices=Priority.choices, null=True, blank=True,
                                                help_text=_("Empty: every priority without a target of its own."))
    target_minutes = models.PositiveIntegerField(_("target (business minutes)"), validators=[MinValueValidator(1)])
    calendar = models.ForeignKey(BusinessCalendar, verbose_name=_("business calendar"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="+",
                                 help_text=_("Empty: the calendar of the incident's organisation."))

    class Meta:
        ordering = ["group", "priority"]
        verbose_name = _("operational target")
        verbose_name_plural = _("operational targets")
        constraints = [
            models.UniqueConstraint(fields=["group", "priority"], name="sla_ola_unique_priority"),
            models.UniqueConstraint(fields=["group"], condition=models.Q(priority__isnull=True),
                                    name="sla_ola_unique_any_priority"),
        ]

    def __str__(self) -> str:
        return f"{self.group_id} P{self.priority or '*'}: {self.target_minutes} min"
