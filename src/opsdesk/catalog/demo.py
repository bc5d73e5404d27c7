"""The demo group's application catalogue (应用目录), built through the catalogue services.

Runs once the demo's organisation, groups and services exist (see ``opsdesk.demo.loader``): the production
management system and the ERP down to their modules, mail and network two levels deep, and each demo service
offered on its system.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field

from opsdesk.accounts.models import Organisation, SupportGroup, User
from opsdesk.core import clock
from opsdesk.demo.stories import HISTORY_DAYS

from . import services
from .models import ApplicationNode, Service


@dataclass(frozen=True)
class Node:
    code: str
    name: str
    name_en: str
    owner: str = ""  # a support group's code; empty: the parent's
    children: tuple[Node, ...] = field(default_factory=tuple)


def _modules(prefix: str, *names: tuple[str, str, str]) -> tuple[Node, ...]:
    return tuple(Node(f"{prefix}-{code}", name, name_en) for code, name, name_en in names)


CATALOGUE = (
    Node("app-pms", "生产管理系统", "Production management system", "hq-pms-l3", (
        Node("app-pms-dispatch", "生产调度", "Dispatching", "hy-js-pms-l2", (
            Node("app-pms-dispatch-ops", "调度运行平台", "Dispatch operations platform", children=_modules(
                "app-pms-dispatch-ops", ("log", "调度日志", "Dispatch log"), ("outage", "停电计划", "Outage planning"),
                ("switching", "操作票", "Switching orders"))),
            Node("app-pms-dispatch-monitor", "运行监视平台", "Operations monitoring platform", children=_modules(
                "app-pms-dispatch-monitor", ("load", "负荷监视", "Load monitoring"),
                ("alarm", "告警处理", "Alarm handling"))),
        )),
        Node("app-pms-equipment", "设备管理", "Equipment management", "hy-js-pms-l2", (
            Node("app-pms-equipment-ledger", "设备台账平台", "Equipment register platform", children=_modules(
                "app-pms-equipment-ledger", ("ledger", "设备台账", "Equipment register"),
                ("defect", "缺陷管理", "Defect management"), ("patrol", "巡视管理", "Patrol management"))),
            Node("app-pms-equipment-maint", "检修管理平台", "Maintenance platform", children=_modules(
                "app-pms-equipment-maint", ("plan", "检修计划", "Maintenance planning"),
                ("workticket", "工作票", "Work permits"))),
        )),
        Node("app-pms-safety", "安全监察", "Safety supervision", "hy-zj-pms-l2", (
            Node("app-pms-safety-platform", "安全管理平台", "Safety management platform", children=_modules(
                "app-pms-safety-platform", ("inspection", "安全检查", "Safety inspections"),
                ("hazard", "隐患排查", "Hazard identification"), ("tickets", "两票评价", "Permit reviews"))),
        )),
    )),
    Node("app-erp", "ERP", "ERP (SAP)", "hq-erp-l3", (
        Node("app-erp-fi", "财务", "Finance", "hy-js-erp-l2", (
            Node("app-erp-fi-gl", "总账平台", "General ledger platform", children=_modules(
                "app-erp-fi-gl", ("gl", "总账", "General ledger (FI-GL)"),
                ("ap-ar", "应收应付", "Payables and receivables"), ("close", "月结", "Period close"))),
            Node("app-erp-fi-co", "成本管理平台", "Controlling platform", children=_modules(
                "app-erp-fi-co", ("cost", "成本中心", "Cost centres (CO)"), ("budget", "预算管理", "Budgeting"))),
        )),
        Node("app-erp-mm", "物资", "Materials", "hy-js-erp-l2", (
            Node("app-erp-mm-purchase", "采购平台", "Purchasing platform", children=_modules(
                "app-erp-mm-purchase", ("requisition", "采购申请", "Purchase requisitions"),
                ("order", "采购订单", "Purchase orders"))),
            Node("app-erp-mm-stock", "库存平台", "Inventory platform", children=_modules(
                "app-erp-mm-stock", ("stock", "库存管理", "Inventory"), ("warehouse", "仓储管理", "Warehousing"))),
        )),
        Node("app-erp-hr", "人资", "Human resources", "hy-zj-erp-l2", (
            Node("app-erp-hr-core", "人事平台", "Personnel platform", children=_modules(
                "app-erp-hr-core", ("org", "组织管理", "Organisation management"),
                ("personnel", "人事管理", "Personnel administration"))),
            Node("app-erp-hr-payroll", "薪酬平台", "Payroll platform", children=_modules(
                "app-erp-hr-payroll", ("payroll", "薪酬核算", "Payroll"), ("insurance", "社保公积金", "Social insurance"))),
        )),
    )),
    Node("app-mail", "邮件系统", "Mail", "hy-js-mail-l2", (
        Node("app-mail-delivery", "邮件收发", "Sending and receiving"),
        Node("app-mail-mobile", "移动邮件", "Mobile mail"),
    )),
    Node("app-network", "网络", "Network", "hy-js-network-l2", (
        Node("app-network-office", "办公网", "Office network"),
        Node("app-network-vpn", "VPN", "VPN"),
        Node("app-network-wifi", "无线网络", "Wi-Fi"),
    )),
)
# Each demo service is offered on its system.
SERVICE_NODES = {"pms": "app-pms", "erp": "app-erp", "mail": "app-mail", "network": "app-network"}


def seed_demo(*, now: dt.datetime, rng: random.Random) -> None:
    """Build the catalogue as the administrator, and offer the demo's services on it, on the day the demo's
    organisation was set up (before the first incident of its history)."""
    with clock.frozen_at(now - dt.timedelta(days=HISTORY_DAYS + 1)):
        _build(rng)


def _build(rng: random.Random) -> None:
    admin = User.objects.get(username="admin")
    groups = {group.code: group for group in SupportGroup.objects.all()}
    headquarters = Organisation.objects.filter(parent__isnull=True).order_by("id").first()
    created: dict[str, ApplicationNode] = {}

    def build(node: Node, parent: ApplicationNode | None, owner: SupportGroup | None) -> None:
        owner = groups.get(node.owner, owner)
        created[node.code] = services.application_node_create(
            actor=admin, code=node.code, name=node.name, name_en=node.name_en, parent=parent, owner_group=owner,
            organisation=headquarters if parent is None else None)
        for child in node.children:
            build(child, created[node.code], owner)

    for system in CATALOGUE:
        build(system, None, None)
    for service in Service.objects.filter(code__in=SERVICE_NODES):
        services.service_update(actor=admin, service=service, application=created[SERVICE_NODES[service.code]],
                                owner_group=service.owner_group or created[SERVICE_NODES[service.code]].owner_group)
