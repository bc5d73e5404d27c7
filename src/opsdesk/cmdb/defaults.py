"""The standard CI classes, attributes and relation rules opsdesk offers to install (demo, a new site, tests).

Administrators change or extend them afterwards like any class they define themselves. Installing runs
through the services (audited) and is idempotent: classes, attributes and rules that exist are kept.
"""

from __future__ import annotations

from django.db import transaction

from opsdesk.accounts.models import User

from . import services
from .choices import AttributeType as T
from .choices import IpVersion, RelationKind
from .models import AttributeDefinition, CIClass

# code, name (zh), English name, parent code, icon, maintained
CLASSES: list[tuple[str, str, str, str | None, str, bool]] = [
    ("hardware", "硬件", "Hardware", None, "cpu", True),
    ("server", "服务器", "Server", "hardware", "hdd-rack", True),
    ("network_device", "网络设备", "Network device", "hardware", "router", True),
    ("storage", "存储设备", "Storage", "hardware", "device-hdd", True),
    ("cabinet", "机柜", "Cabinet", "hardware", "bookshelf", False),
    ("cable", "线缆", "Cable", "hardware", "plug", False),
    ("tool", "工具", "Tool", "hardware", "tools", False),
    ("software", "软件", "Software", None, "code-square", True),
    ("database", "数据库", "Database", "software", "database", True),
    ("middleware", "中间件", "Middleware", "software", "layers", True),
    ("application", "应用系统", "Application", "software", "window-stack", True),
    ("subsystem", "子系统", "Subsystem", "software", "diagram-2", True),
    ("module", "模块", "Module", "software", "puzzle", True),
    ("software_licence", "软件许可", "Software licence", "software", "key", True),
]

# class code, attribute code, name (zh), English name, type, options
ATTRIBUTES: list[tuple[str, str, str, str, str, dict]] = [
    ("hardware", "serial_number", "序列号", "Serial number", T.TEXT, {"unique": True}),
    ("hardware", "asset_tag", "资产编号", "Asset tag", T.TEXT, {"unique": True}),
    ("hardware", "manufacturer", "厂商", "Manufacturer", T.TEXT, {}),
    ("hardware", "model", "型号", "Model", T.TEXT, {}),
    ("server", "ip_address", "IP地址", "IP address", T.IP_ADDRESS, {}),
    ("server", "cpu_cores", "CPU核数", "CPU cores", T.NUMBER, {"min_value": 1, "max_value": 4096}),
    ("server", "memory_gb", "内存(GB)", "Memory (GB)", T.NUMBER, {"min_value": 0}),
    ("server", "os", "操作系统", "Operating system", T.CHOICE,
     {"choices": ["Linux", "Windows", "AIX", "Kylin", "UOS", "Other"]}),
    ("network_device", "management_ip", "管理IP", "Management IP", T.IP_ADDRESS, {}),
    ("network_device", "device_role", "设备角色", "Device role", T.CHOICE,
     {"choices": ["core", "aggregation", "access", "firewall", "router", "load_balancer"]}),
    ("network_device", "port_count", "端口数", "Ports", T.NUMBER, {"min_value": 0}),
    ("storage", "capacity_tb", "容量(TB)", "Capacity (TB)", T.NUMBER, {"min_value": 0}),
    ("cabinet", "room", "机房", "Machine room", T.TEXT, {}),
    ("cabinet", "u_height", "U数", "Height (U)", T.NUMBER, {"min_value": 1, "max_value": 60}),
    ("cable", "cable_type", "线缆类型", "Cable type", T.CHOICE, {"choices": ["fibre", "copper", "power"]}),
    ("cable", "length_m", "长度(米)", "Length (m)", T.NUMBER, {"min_value": 0}),
    ("software", "version", "版本", "Version", T.TEXT, {}),
    ("database", "engine", "数据库类型", "Engine", T.CHOICE,
     {"choices": ["Oracle", "MySQL", "PostgreSQL", "SQL Server", "DM", "Other"]}),
    ("database", "host", "所在服务器", "Host", T.REFERENCE, {"reference_class": "server"}),
    ("database", "db_port", "端口", "Port", T.NUMBER, {"min_value": 1, "max_value": 65535}),
    ("middleware", "product", "产品", "Product", T.TEXT, {}),
    ("application", "url", "访问地址", "URL", T.TEXT, {}),
    ("software_licence", "licence_number", "许可证号", "Licence number", T.TEXT, {"unique": True}),
    ("software_licence", "seats", "授权数", "Seats", T.NUMBER, {"min_value": 0}),
    ("software_licence", "expires_on", "到期日", "Expires on", T.DATE, {}),
]

# kind, source class, target class (a rule for a class covers its subclasses)
RULES: list[tuple[str, str, str]] = [
    (RelationKind.RUNS_ON, "software", "hardware"),
    (RelationKind.RUNS_ON, "software", "software"),
    (RelationKind.DEPENDS_ON, "software", "software"),
    (RelationKind.DEPENDS_ON, "hardware", "hardware"),
    (RelationKind.CONNECTED_TO, "hardware", "hardware"),
    (RelationKind.PART_OF, "hardware", "cabinet"),
    (RelationKind.PART_OF, "hardware", "hardware"),
    (RelationKind.PART_OF, "software", "software"),
    (RelationKind.BACKS_UP, "hardware", "hardware"),
    (RelationKind.BACKS_UP, "software", "software"),
]


@transaction.atomic
def install_standard_classes(*, actor: User) -> dict[str, CIClass]:
    """Create the standard classes, attributes and rules that do not exist yet; returns classes by code."""
    classes = {c.code: c for c in CIClass.objects.all()}
    for code, name, name_en, parent, icon, maintained in CLASSES:
        if code not in classes:
            classes[code] = services.ci_class_create(
                actor=actor, code=code, name=name, name_en=name_en, parent=classes[parent] if parent else None,
                icon=icon, is_maintained=maintained)
    existing = set(AttributeDefinition.objects.values_list("ci_class__code", "code"))
    for order, (class_code, code, name, name_en, kind, options) in enumerate(ATTRIBUTES):
        if (class_code, code) in existing:
            continue
        options = dict(options)
        if "reference_class" in options:
            options["reference_class"] = classes[options["reference_class"]]
        if kind == T.IP_ADDRESS:
            options.setdefault("ip_version", IpVersion.ANY)
        services.attribute_define(actor=actor, ci_class=classes[class_code], code=code, name=name, name_en=name_en,
                                  type=kind, order=order, **options)
    for kind, source, target in RULES:
        services.relation_rule_add(actor=actor, kind=kind, source_class=classes[source], target_class=classes[target])
    return classes
