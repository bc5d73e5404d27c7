"""The demo group's CMDB, built through the CMDB services (audited) after the demo's incidents exist.

华源能源集团 runs the ERP (SAP) centrally in the headquarters' data centre and the production management
system (生产管理系统) in each provincial data centre (Jiangsu in Nanjing, Zhejiang in Hangzhou); every city
company reaches its province over its own router, firewall and access switches. For each system the demo
registers its application CIs (standing for the application catalogue's nodes), middleware and databases,
the servers they run on, storage and backup, the network path (access → core switches → firewalls),
cabinets, cables, tools and software licences, with their relations — a few hundred CIs — as assets with
lifecycle states, acceptance and warranty dates (some warranties end within 90 days), locations,
custodians, custody agreements, financial categories and values. Demo incidents are then linked to the
CIs they affect (by service and organisation), so the maps show open incidents on their CIs.
"""

from __future__ import annotations

import datetime as dt
import itertools
import random
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.utils import timezone

from opsdesk.accounts.models import Organisation, User
from opsdesk.catalog.models import ApplicationNode, Service
from opsdesk.core import clock
from opsdesk.core.errors import DomainError
from opsdesk.incidents.models import Incident

from . import services
from .choices import CIState, FinancialCategory, RelationKind
from .defaults import install_standard_classes
from .models import CIClass, ConfigurationItem

R = RelationKind
OPEN_STATES = ("new", "assigned", "in_progress", "pending")
CITY_CUSTODIANS = {"hy-js-nj": "l1", "hy-js-sz": "l1_sz", "hy-js-wx": "l1_wx", "hy-zj-hz": "l1_hz", "hy-zj-nb": "l1_nb"}
CITY_NAMES = {"hy-js-nj": ("南京", "nj"), "hy-js-sz": ("苏州", "sz"), "hy-js-wx": ("无锡", "wx"),
              "hy-zj-hz": ("杭州", "hz"), "hy-zj-nb": ("宁波", "nb")}
PROVINCES = {"hy-js": ("江苏", "js", "南京", "l2", "l2_net"), "hy-zj": ("浙江", "zj", "杭州", "l2_zj", "l2_zj_net")}


@dataclass
class Builder:
    """Creates CIs and relations as the administrator, numbering serials and asset tags."""

    admin: User
    classes: dict[str, CIClass]
    orgs: dict[str, Organisation]
    people: dict[str, User]
    rng: random.Random
    today: dt.date
    serials: itertools.count = field(default_factory=lambda: itertools.count(1))
    cis: list[ConfigurationItem] = field(default_factory=list)
    relations: int = 0

    def asset(self, *, years: int = 5, value: int = 0, category: str = FinancialCategory.FIXED_ASSET,
              supplier: str = "", custodian: str = "", location: str = "", age_days: int | None = None,
              warranty_days_left: int | None = None) -> dict[str, Any]:
        age = age_days if age_days is not None else self.rng.randrange(200, 1600)
        acceptance = self.today - dt.timedelta(days=age)
        purchase = acceptance - dt.timedelta(days=self.rng.randrange(20, 90))
        if warranty_days_left is not None:
            warranty = self.today + dt.timedelta(days=warranty_days_left)
        else:
            warranty = acceptance + dt.timedelta(days=365 * years)
        return {"purchase_date": purchase, "acceptance_date": acceptance, "warranty_end": warranty,
                "supplier": supplier, "contract_number": f"HY-CG-{acceptance.year}-{self.rng.randrange(100, 999)}",
                "location": location, "custodian": self.people.get(custodian), "financial_category": category,
                "value": Decimal(value) if value else None}

    def ci(self, class_code: str, name: str, org: str, *, attributes: dict[str, Any] | None = None,
           tagged: bool = True, state: str = CIState.IN_USE, **fields: Any) -> ConfigurationItem:
        attributes = dict(attributes or {})
        if tagged:
            number = next(self.serials)
            attributes.setdefault("serial_number", f"{attributes.pop('sn_prefix', 'SN')}{210200 + number:08d}")
            attributes.setdefault("asset_tag", f"HY-{org.upper()}-{number:05d}")
        else:
            attributes.pop("sn_prefix", None)
        ci = services.ci_create(actor=self.admin, ci_class=self.classes[class_code], organisation=self.orgs[org],
                                name=name, attributes=attributes, state=state, **fields)
        self.cis.append(ci)
        return ci

    def relate(self, source: ConfigurationItem, kind: str, target: ConfigurationItem) -> None:
        services.relation_create(actor=self.admin, source=source, target=target, kind=kind)
        self.relations += 1


def _hardware(maker: str, model: str, prefix: str) -> dict[str, Any]:
    return {"manufacturer": maker, "model": model, "sn_prefix": prefix}


SERVER_MODELS = (("华为", "FusionServer 2288H V5", "2102"), ("浪潮", "NF5280M5", "NF"), ("联想", "ThinkSystem SR650", "J30"))


@dataclass
class DataCentre:
    """One machine room: its cabinets, core switches, firewalls and access switches."""

    org: str
    location: str
    custodian: str
    cabinets: list[ConfigurationItem]
    cores: list[ConfigurationItem]
    access: list[ConfigurationItem]
    next_port: itertools.count = field(default_factory=lambda: itertools.count(1))


def _data_centre(b: Builder, org: str, short: str, location: str, custodian: str, *, cabinets: int,
                 access: int) -> DataCentre:
    racks = [b.ci("cabinet", f"{short}-机柜-{chr(65 + i // 6)}{i % 6 + 1:02d}", org, attributes={
        **_hardware("图腾", "G2.6042", "TT"), "room": location, "u_height": 42},
        **b.asset(value=8500, supplier="图腾机柜", custodian=custodian, location=f"{location} {chr(65 + i // 6)} 排",
                  category=FinancialCategory.LOW_VALUE, years=10)) for i in range(cabinets)]
    cores = [b.ci("network_device", f"{short}-核心交换机-{i + 1:02d}", org, attributes={
        **_hardware("华为", "CloudEngine 12808", "CE"), "device_role": "core", "port_count": 384,
        "management_ip": f"10.{ord(short[0]) % 50}.0.{i + 1}"},
        **b.asset(value=1_280_000, supplier="华为技术有限公司", custodian=custodian, location=f"{location} 核心区"))
        for i in range(2)]
    b.relate(cores[0], R.CONNECTED_TO, cores[1])
    firewalls = [b.ci("network_device", f"{short}-防火墙-{i + 1:02d}", org, attributes={
        **_hardware("华为", "USG6650E", "USG"), "device_role": "firewall", "port_count": 24,
        "management_ip": f"10.{ord(short[0]) % 50}.0.{11 + i}"},
        **b.asset(value=356_000, supplier="华为技术有限公司", custodian=custodian, location=f"{location} 核心区"))
        for i in range(2)]
    for core, firewall in zip(cores, firewalls, strict=True):
        b.relate(core, R.CONNECTED_TO, firewall)
        b.relate(core, R.PART_OF, racks[0])
        b.relate(firewall, R.PART_OF, racks[0])
    switches = []
    for i in range(access):
        switch = b.ci("network_device", f"{short}-接入交换机-{i + 1:02d}", org, attributes={
            **_hardware("H3C", "S5130S-52S-EI", "H3C"), "device_role": "access", "port_count": 52,
            "management_ip": f"10.{ord(short[0]) % 50}.1.{i + 1}"},
            **b.asset(value=18_600, supplier="新华三技术有限公司", custodian=custodian,
                      location=f"{location} {racks[(i + 1) % len(racks)].name}"))
        for core in cores:
            b.relate(switch, R.CONNECTED_TO, core)
        b.relate(switch, R.PART_OF, racks[(i + 1) % len(racks)])
        switches.append(switch)
    return DataCentre(org, location, custodian, racks, cores, switches)


def _server(b: Builder, dc: DataCentre, name: str, ip: str, *, role: str, cores: int = 32, memory: int = 256,
            os: str = "Linux", value: int = 168_000, warranty_days_left: int | None = None,
            state: str = CIState.IN_USE) -> ConfigurationItem:
    maker, model, prefix = SERVER_MODELS[b.rng.randrange(len(SERVER_MODELS))]
    index = next(dc.next_port)
    rack = dc.cabinets[1 + index % (len(dc.cabinets) - 1)] if len(dc.cabinets) > 1 else dc.cabinets[0]
    server = b.ci("server", name, dc.org, attributes={
        **_hardware(maker, model, prefix), "ip_address": ip, "cpu_cores": cores, "memory_gb": memory, "os": os},
        description=role, state=state,
        **b.asset(value=value, supplier=f"{maker}（经销商：华源信息科技）", custodian=dc.custodian,
                  location=f"{dc.location} {rack.name}", warranty_days_left=warranty_days_left))
    b.relate(server, R.PART_OF, rack)
    switch = dc.access[index % len(dc.access)]
    cable = b.ci("cable", f"{name} ⇄ {switch.name}", dc.org, tagged=False,
                 attributes={"cable_type": "copper" if index % 3 else "fibre", "length_m": b.rng.choice((3, 5, 10))},
                 **b.asset(value=120, category=FinancialCategory.LOW_VALUE, custodian=dc.custodian,
                           location=dc.location, years=10))
    b.relate(server, R.CONNECTED_TO, cable)
    b.relate(cable, R.CONNECTED_TO, switch)
    return server


def _storage(b: Builder, dc: DataCentre, name: str, capacity: int) -> ConfigurationItem:
    storage = b.ci("storage", name, dc.org, attributes={**_hardware("华为", "OceanStor 5500 V5", "OS"),
                                                         "capacity_tb": capacity},
                   **b.asset(value=620_000, supplier="华为技术有限公司", custodian=dc.custodian,
                             location=f"{dc.location} {dc.cabinets[-1].name}"))
    b.relate(storage, R.PART_OF, dc.cabinets[-1])
    for core in dc.cores:
        b.relate(storage, R.CONNECTED_TO, core)
    return storage


def _licence(b: Builder, name: str, org: str, number: str, seats: int, value: int, expires_in: int,
             custodian: str) -> ConfigurationItem:
    return b.ci("software_licence", name, org, tagged=False, attributes={
        "licence_number": number, "seats": seats, "expires_on": (b.today + dt.timedelta(days=expires_in)).isoformat()},
        **b.asset(value=value, category=FinancialCategory.INTANGIBLE, custodian=custodian, years=3))


def _application(b: Builder, name: str, org: str, node: ApplicationNode | None, service: Service | None,
                 url: str, custodian: str) -> ConfigurationItem:
    return b.ci("application", name, org, tagged=False, attributes={"url": url}, application=node,
                services=[service] if service else [], custodian=b.people.get(custodian),
                financial_category=FinancialCategory.INTANGIBLE)


def _build_erp(b: Builder, nodes: dict[str, ApplicationNode], services_: dict[str, Service]) -> None:
    dc = _data_centre(b, "hy-hq", "总部", "集团总部数据中心 5F 主机房", "l3_erp", cabinets=8, access=6)
    erp = _application(b, "ERP（SAP S/4HANA）", "hy-hq", nodes.get("app-erp"), services_.get("erp"),
                       "https://erp.huayuan-energy.example", "l3_erp")
    for code, name in (("app-erp-fi", "ERP 财务子系统（FI/CO）"), ("app-erp-mm", "ERP 物资子系统（MM）"),
                       ("app-erp-hr", "ERP 人资子系统（HR）")):
        sub = b.ci("subsystem", name, "hy-hq", tagged=False, application=nodes.get(code),
                   financial_category=FinancialCategory.INTANGIBLE)
        b.relate(sub, R.PART_OF, erp)
    db_servers = [_server(b, dc, f"erp-db-{i + 1:02d}", f"10.0.20.{11 + i}", role="SAP HANA 数据库服务器",
                          cores=96, memory=1536, value=980_000, warranty_days_left=45 if i == 1 else None)
                  for i in range(2)]
    database = b.ci("database", "ERP 生产库（HANA PRD）", "hy-hq", tagged=False, attributes={
        "engine": "Other", "version": "HANA 2.0 SPS07", "host": db_servers[0].pk, "db_port": 30015},
        custodian=b.people.get("l3_erp"), financial_category=FinancialCategory.INTANGIBLE)
    for server in db_servers:
        b.relate(database, R.RUNS_ON, server)
    storages = [_storage(b, dc, f"总部-存储-{i + 1:02d}", 200) for i in range(2)]
    for server in db_servers:
        for storage in storages:
            b.relate(server, R.DEPENDS_ON, storage)
    backup = _server(b, dc, "erp-backup-01", "10.0.20.31", role="备份服务器（NBU 媒体服务器）", cores=16, memory=128)
    b.relate(backup, R.BACKS_UP, db_servers[0])
    b.relate(erp, R.DEPENDS_ON, database)
    sap_licence = _licence(b, "SAP S/4HANA 用户许可", "hy-hq", "SAP-LIC-0047731", 3000, 12_000_000, 400, "l3_erp")
    b.relate(database, R.DEPENDS_ON, sap_licence)
    for i in range(10):
        server = _server(b, dc, f"erp-app-{i + 1:02d}", f"10.0.20.{51 + i}", role="SAP 应用服务器", cores=48,
                         memory=512, warranty_days_left=70 if i == 5 else None,
                         state=CIState.IN_REPAIR if i == 9 else CIState.IN_USE)
        instance = b.ci("middleware", f"SAP NetWeaver AS {'PAS' if i == 0 else f'AAS{i:02d}'}", "hy-hq", tagged=False,
                        attributes={"product": "SAP NetWeaver AS ABAP", "version": "7.57"},
                        financial_category=FinancialCategory.INTANGIBLE)
        b.relate(instance, R.RUNS_ON, server)
        b.relate(erp, R.RUNS_ON, instance)
        b.relate(instance, R.DEPENDS_ON, database)
    # Mail also lives in the headquarters' machine room.
    mail = _application(b, "集团邮件系统（Exchange）", "hy-hq", nodes.get("app-mail"), services_.get("mail"),
                        "https://mail.huayuan-energy.example", "l3")
    mail_licence = _licence(b, "Exchange Server 企业版许可", "hy-hq", "MS-EX-88120", 8000, 1_600_000, 60, "l3")
    for i in range(3):
        server = _server(b, dc, f"mail-mbx-{i + 1:02d}", f"10.0.30.{11 + i}", role="Exchange 邮箱服务器",
                         os="Windows", cores=32, memory=384)
        instance = b.ci("middleware", f"Exchange 邮箱角色 {i + 1:02d}", "hy-hq", tagged=False,
                        attributes={"product": "Exchange Server", "version": "2019 CU14"})
        b.relate(instance, R.RUNS_ON, server)
        b.relate(instance, R.DEPENDS_ON, mail_licence)
        b.relate(mail, R.RUNS_ON, instance)
        b.relate(server, R.DEPENDS_ON, storages[1])
    for i, (name, model) in enumerate((("光功率计", "EXFO FPM-300"), ("网络测试仪", "Fluke LinkIQ"))):
        b.ci("tool", f"总部-{name}-{i + 1:02d}", "hy-hq", attributes={**_hardware(model.split()[0], model, "TL")},
             **b.asset(value=28_000, category=FinancialCategory.LOW_VALUE, custodian="l3", location=dc.location))


def _build_province(b: Builder, org: str, nodes: dict[str, ApplicationNode], pms_main: ConfigurationItem,
                    ) -> DataCentre:
    name, short, city, custodian, net_custodian = PROVINCES[org]
    dc = _data_centre(b, org, name, f"{name}省公司数据中心（{city}）3F 机房", net_custodian, cabinets=8, access=4)
    pms = b.ci("application", f"生产管理系统（{name}）", org, tagged=False, attributes={
        "url": f"https://pms.{short}.huayuan-energy.example"}, custodian=b.people.get(custodian),
        financial_category=FinancialCategory.INTANGIBLE)
    b.relate(pms, R.PART_OF, pms_main)
    subnet = 10 if short == "js" else 40
    db_servers = [_server(b, dc, f"{short}-pms-db-{i + 1:02d}", f"10.{subnet}.10.{11 + i}", role="Oracle RAC 节点",
                          cores=64, memory=768, value=560_000, os="Linux",
                          warranty_days_left=20 if (short == "js" and i == 0) else None) for i in range(2)]
    database = b.ci("database", f"{name} PMS 生产库（Oracle RAC）", org, tagged=False, attributes={
        "engine": "Oracle", "version": "19c", "host": db_servers[0].pk, "db_port": 1521},
        custodian=b.people.get(custodian), financial_category=FinancialCategory.INTANGIBLE)
    for server in db_servers:
        b.relate(database, R.RUNS_ON, server)
    storages = [_storage(b, dc, f"{name}-存储-{i + 1:02d}", 120) for i in range(2)]
    for server in db_servers:
        b.relate(server, R.DEPENDS_ON, storages[0])
    backup = _server(b, dc, f"{short}-pms-backup-01", f"10.{subnet}.10.31", role="备份服务器", cores=16, memory=128)
    b.relate(backup, R.BACKS_UP, db_servers[0])
    b.relate(storages[1], R.BACKS_UP, storages[0])
    oracle_licence = _licence(b, f"Oracle 数据库企业版许可（{name}）", org, f"ORA-{short.upper()}-20931", 64,
                              2_400_000, 75 if short == "zj" else 500, custodian)
    b.relate(database, R.DEPENDS_ON, oracle_licence)
    b.relate(pms, R.DEPENDS_ON, database)
    weblogic_licence = _licence(b, f"WebLogic Server 许可（{name}）", org, f"WLS-{short.upper()}-7781", 32,
                                960_000, 600, custodian)
    for i in range(8):
        server = _server(b, dc, f"{short}-pms-app-{i + 1:02d}", f"10.{subnet}.20.{11 + i}", role="WebLogic 应用服务器",
                         warranty_days_left=(55 if i == 2 else None),
                         state=CIState.UPGRADED if (short == "zj" and i == 4) else CIState.IN_USE)
        instance = b.ci("middleware", f"{short}-WebLogic-{i + 1:02d}", org, tagged=False,
                        attributes={"product": "Oracle WebLogic Server", "version": "12.2.1.4"})
        b.relate(instance, R.RUNS_ON, server)
        b.relate(instance, R.DEPENDS_ON, database)
        b.relate(instance, R.DEPENDS_ON, weblogic_licence)
        b.relate(pms, R.RUNS_ON, instance)
    for i in range(4):
        server = _server(b, dc, f"{short}-pms-web-{i + 1:02d}", f"10.{subnet}.30.{11 + i}", role="Nginx 前置服务器",
                         cores=16, memory=64, value=86_000)
        proxy = b.ci("middleware", f"{short}-Nginx-{i + 1:02d}", org, tagged=False,
                     attributes={"product": "Nginx", "version": "1.24"})
        b.relate(proxy, R.RUNS_ON, server)
        b.relate(pms, R.DEPENDS_ON, proxy)
    # The virtualisation cluster the province's other applications run on.
    for i in range(4):
        host = _server(b, dc, f"{short}-vm-host-{i + 1:02d}", f"10.{subnet}.40.{11 + i}", role="虚拟化宿主机（vSphere 集群）",
                       cores=64, memory=1024, value=320_000)
        b.relate(host, R.DEPENDS_ON, storages[i % 2])
    # A batch from the latest acceptance list: registered, one already verified.
    for i in range(2):
        server = _server(b, dc, f"{short}-pms-app-{9 + i:02d}", f"10.{subnet}.20.{19 + i}", role="扩容应用服务器（新到货）",
                         state=CIState.REGISTERED)
        if i == 1:
            services.ci_transition(actor=b.admin, ci=server, transition="verify")
    old = _server(b, dc, f"{short}-pms-app-old-01", f"10.{subnet}.20.99", role="旧应用服务器（已下线）",
                  warranty_days_left=-400)
    services.ci_transition(actor=b.admin, ci=old, transition="retire", reason="设备老化，由扩容服务器替代")
    b.ci("tool", f"{name}-网络测试仪-01", org, attributes={**_hardware("Fluke", "LinkIQ", "TL")},
         **b.asset(value=26_000, category=FinancialCategory.LOW_VALUE, custodian=net_custodian, location=dc.location))
    return dc


def _build_city(b: Builder, org: str, province: DataCentre) -> None:
    name, short = CITY_NAMES[org]
    custodian = CITY_CUSTODIANS[org]
    location = f"{name}市公司机房"
    rack = b.ci("cabinet", f"{name}-机柜-01", org, attributes={**_hardware("图腾", "G2.6042", "TT"), "room": location,
                                                               "u_height": 42},
                **b.asset(value=8500, category=FinancialCategory.LOW_VALUE, custodian=custodian, location=location))
    router = b.ci("network_device", f"{name}-广域网路由器-01", org, attributes={
        **_hardware("华为", "NetEngine AR6280", "AR"), "device_role": "router", "port_count": 16},
        **b.asset(value=68_000, supplier="华为技术有限公司", custodian=custodian, location=location))
    firewall = b.ci("network_device", f"{name}-防火墙-01", org, attributes={
        **_hardware("深信服", "AF-1000", "AF"), "device_role": "firewall", "port_count": 8},
        **b.asset(value=96_000, supplier="深信服科技", custodian=custodian, location=location,
                  warranty_days_left=35 if short in ("nj", "hz") else None))
    b.relate(router, R.CONNECTED_TO, province.cores[0])
    patch = b.ci("cable", f"{name} 路由器⇄防火墙 跳线", org, tagged=False, attributes={"cable_type": "copper", "length_m": 2},
                 **b.asset(value=60, category=FinancialCategory.LOW_VALUE, custodian=custodian, location=location))
    b.relate(router, R.CONNECTED_TO, patch)
    b.relate(patch, R.CONNECTED_TO, firewall)
    for device in (router, firewall):
        b.relate(device, R.PART_OF, rack)
    for i in range(5):
        switch = b.ci("network_device", f"{name}-接入交换机-{i + 1:02d}", org, attributes={
            **_hardware("H3C", "S5130S-28S-EI", "H3C"), "device_role": "access", "port_count": 28},
            **b.asset(value=9_800, supplier="新华三技术有限公司", custodian=custodian,
                      location=f"{location} / {i + 1}F 弱电间"))
        b.relate(switch, R.CONNECTED_TO, firewall)
        cable = b.ci("cable", f"{name} {i + 1}F 上联光纤", org, tagged=False, attributes={"cable_type": "fibre",
                                                                                    "length_m": 30 + 10 * i},
                     **b.asset(value=300, category=FinancialCategory.LOW_VALUE, custodian=custodian, location=location))
        b.relate(cable, R.CONNECTED_TO, switch)
        b.relate(cable, R.CONNECTED_TO, firewall)
    if short == "sz":
        broken = b.cis[-2]  # the last access switch: sent for repair
        services.ci_transition(actor=b.admin, ci=broken, transition="repair", reason="端口批量故障，返厂维修")


def _custody_agreements(b: Builder) -> None:
    """A signed custody agreement (保管协议) for every machine room's cabinets and core devices."""
    for ci in b.cis:
        if ci.custodian_id and ci.ci_class.code in ("cabinet", "storage") and ci.acceptance_date:
            services.custody_agreement_record(
                actor=b.admin, ci=ci, number=f"BGXY-{ci.acceptance_date.year}-{ci.pk:04d}",
                signed_on=min(ci.acceptance_date + dt.timedelta(days=7), b.today), custodian=ci.custodian,
                note="信息化资产保管协议（运维公司）")


def _link_incidents(b: Builder) -> int:
    """Link each demo incident to the CIs its fault touches: by service, and by the requester's organisation."""
    by_org: dict[int, list[ConfigurationItem]] = {}
    for ci in b.cis:
        by_org.setdefault(ci.organisation_id, []).append(ci)
    codes = {org.pk: code for code, org in b.orgs.items()}

    def pick(incident: Incident) -> list[ConfigurationItem]:
        service = incident.service.code if incident.service_id else ""
        org_code = codes.get(incident.organisation_id, "hy-hq")
        province = next((p for p in PROVINCES if org_code.startswith(p)), "hy-js")
        if service == "erp":
            pool = [ci for ci in by_org[b.orgs["hy-hq"].pk] if ci.ci_class.code != "cable"
                    and ci.name.startswith(("erp-app", "erp-db", "SAP NetWeaver", "ERP"))]
        elif service == "mail":
            pool = [ci for ci in by_org[b.orgs["hy-hq"].pk] if ci.ci_class.code != "cable"
                    and ci.name.startswith(("mail-", "Exchange", "集团邮件"))]
        elif service == "network":
            pool = [ci for ci in by_org.get(b.orgs.get(org_code, b.orgs["hy-hq"]).pk, [])
                    if ci.ci_class.code == "network_device"] or [
                ci for ci in by_org[b.orgs[province].pk] if ci.ci_class.code == "network_device"]
        else:
            pool = [ci for ci in by_org[b.orgs[province].pk]
                    if ci.ci_class.code in ("application", "middleware", "server", "database")
                    and ci.state == CIState.IN_USE]
        if not pool:
            return []
        count = 1 if b.rng.random() < 0.7 else 2
        return b.rng.sample(pool, min(count, len(pool)))

    linked = 0
    incidents = list(Incident.objects.select_related("service").order_by("id"))
    for incident in incidents:
        if incident.state not in OPEN_STATES and b.rng.random() < 0.5:
            continue  # half of the finished incidents named no CI
        cis = pick(incident)
        if not cis:
            continue
        try:
            services.incident_cis_add(actor=b.admin, incident=incident, cis=cis)
        except DomainError:
            continue
        linked += 1
    return linked


def seed_demo(*, now: dt.datetime, rng: random.Random) -> None:
    """Register the demo's CMDB as the administrator, as of ``now``."""
    admin = User.objects.get(username="admin")
    with clock.frozen_at(now):
        classes = install_standard_classes(actor=admin)
        b = Builder(admin=admin, classes=classes, orgs={o.code: o for o in Organisation.objects.all()},
                    people={u.username: u for u in User.objects.all()}, rng=rng,
                    today=timezone.localtime(now).date())
        nodes = {n.code: n for n in ApplicationNode.objects.all()}
        services_ = {s.code: s for s in Service.objects.all()}
        _build_erp(b, nodes, services_)
        pms_main = _application(b, "生产管理系统", "hy-hq", nodes.get("app-pms"), services_.get("pms"),
                                "https://pms.huayuan-energy.example", "l3")
        for code, name in (("app-pms-dispatch", "生产调度子系统"), ("app-pms-equipment", "设备管理子系统"),
                           ("app-pms-safety", "安全监察子系统")):
            sub = b.ci("subsystem", name, "hy-hq", tagged=False, application=nodes.get(code),
                       financial_category=FinancialCategory.INTANGIBLE)
            b.relate(sub, R.PART_OF, pms_main)
        province_dcs = {org: _build_province(b, org, nodes, pms_main) for org in PROVINCES}
        for city in CITY_NAMES:
            _build_city(b, city, province_dcs[city.rsplit("-", 1)[0]])
        _custody_agreements(b)
        _link_incidents(b)
