"""The demo organisation: companies, people, support groups, services, categories and routing.

Everything goes through the accounts services (and the catalogue models,
which have no service layer yet); the incidents are told in ``stories``.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field

from django.contrib.auth.hashers import make_password
from django.db import transaction

from opsdesk.accounts import services as accounts
from opsdesk.accounts.models import Organisation, SupportGroup, User
from opsdesk.accounts.roles import Role
from opsdesk.audit.services import audit_record
from opsdesk.catalog.models import Category, RoutingRule, Service
from opsdesk.core import clock

DEMO_PASSWORD = "demo"
EMAIL_DOMAIN = "huayuan-energy.example"
MARKER_ORGANISATION = "hy-hq"  # the headquarters' code: present once the demo is loaded


@dataclass(frozen=True)
class Company:
    code: str
    name: str
    name_en: str
    level: str
    parent: str | None


COMPANIES = (
    Company("hy-hq", "华源能源集团有限公司", "Huayuan Energy Group (headquarters)", "headquarters", None),
    Company("hy-js", "华源能源江苏省公司", "Huayuan Energy Jiangsu", "province", "hy-hq"),
    Company("hy-js-nj", "南京市公司", "Nanjing City Company", "city", "hy-js"),
    Company("hy-js-sz", "苏州市公司", "Suzhou City Company", "city", "hy-js"),
    Company("hy-js-wx", "无锡市公司", "Wuxi City Company", "city", "hy-js"),
    Company("hy-zj", "华源能源浙江省公司", "Huayuan Energy Zhejiang", "province", "hy-hq"),
    Company("hy-zj-hz", "杭州市公司", "Hangzhou City Company", "city", "hy-zj"),
    Company("hy-zj-nb", "宁波市公司", "Ningbo City Company", "city", "hy-zj"),
)
CITIES = ("hy-js-nj", "hy-js-sz", "hy-js-wx", "hy-zj-hz", "hy-zj-nb")
PROVINCES = ("hy-js", "hy-zj")


@dataclass(frozen=True)
class Person:
    username: str
    display_name: str
    company: str
    roles: tuple[str, ...]
    does: str  # printed by ``opsdesk demo``
    superuser: bool = False


R = Role
PEOPLE = (
    Person("admin", "系统管理员", "hy-hq", (R.ADMINISTRATOR,), "administrator (superuser)", superuser=True),
    Person("desk", "王芳", "hy-hq", (R.SERVICE_DESK,), "service desk agent: records, dispatches, calls back, closes"),
    Person("desk2", "李娜", "hy-hq", (R.SERVICE_DESK,), "service desk agent"),
    Person("incident_manager", "陈刚", "hy-hq", (R.INCIDENT_MANAGER,), "incident manager: major incidents"),
    Person("auditor", "赵敏", "hy-hq", (R.AUDITOR,), "auditor: reads everything, changes nothing"),
    Person("config_manager", "钱进", "hy-hq", (R.CONFIGURATION_MANAGER,),
           "configuration manager: CI classes, attributes, relation rules, imports, every CI"),
    Person("l3", "周杰", "hy-hq", (R.ENGINEER_L3,), "L3 engineer, production system R&D (HQ)"),
    Person("l3_erp", "吴磊", "hy-hq", (R.ENGINEER_L3,), "L3 engineer, ERP R&D (HQ)"),
    Person("vendor_sap", "孙浩", "hy-hq", (R.ENGINEER_L3,), "vendor engineer (SAP support)"),
    Person("l2", "刘洋", "hy-js", (R.ENGINEER_L2,), "L2 engineer, Jiangsu: production system and network"),
    Person("l2_erp", "黄婷", "hy-js", (R.ENGINEER_L2,), "L2 engineer, Jiangsu: ERP and mail"),
    Person("l2_net", "林峰", "hy-js", (R.ENGINEER_L2,), "L2 engineer, Jiangsu: network and mail"),
    Person("l2_zj", "徐涛", "hy-zj", (R.ENGINEER_L2,), "L2 engineer, Zhejiang: production system and ERP"),
    Person("l2_zj_net", "宋雨", "hy-zj", (R.ENGINEER_L2,), "L2 engineer, Zhejiang: network and mail"),
    Person("l1", "张强", "hy-js-nj", (R.ENGINEER_L1,), "L1 engineer, Nanjing"),
    Person("l1_nj2", "杨帆", "hy-js-nj", (R.ENGINEER_L1,), "L1 engineer, Nanjing"),
    Person("l1_sz", "朱琳", "hy-js-sz", (R.ENGINEER_L1,), "L1 engineer, Suzhou"),
    Person("l1_wx", "何军", "hy-js-wx", (R.ENGINEER_L1,), "L1 engineer, Wuxi"),
    Person("l1_hz", "郭伟", "hy-zj-hz", (R.ENGINEER_L1,), "L1 engineer, Hangzhou"),
    Person("l1_hz2", "罗丹", "hy-zj-hz", (R.ENGINEER_L1,), "L1 engineer, Hangzhou"),
    Person("l1_nb", "马超", "hy-zj-nb", (R.ENGINEER_L1,), "L1 engineer, Ningbo"),
    Person("requester", "张伟", "hy-js-nj", (R.REQUESTER,), "requester, Nanjing"),
    Person("requester2", "王静", "hy-zj-hz", (R.REQUESTER,), "requester, Hangzhou (another city company)"),
    Person("liming", "李明", "hy-js-nj", (R.REQUESTER,), "requester, Nanjing"),
    Person("chenxiu", "陈秀英", "hy-js-nj", (R.REQUESTER,), "requester, Nanjing"),
    Person("zhouyang", "周洋", "hy-js-sz", (R.REQUESTER,), "requester, Suzhou"),
    Person("wuxia", "吴霞", "hy-js-sz", (R.REQUESTER,), "requester, Suzhou"),
    Person("zhengkai", "郑凯", "hy-js-wx", (R.REQUESTER,), "requester, Wuxi"),
    Person("sunli", "孙丽", "hy-js-wx", (R.REQUESTER,), "requester, Wuxi"),
    Person("hujun", "胡军", "hy-zj-hz", (R.REQUESTER,), "requester, Hangzhou"),
    Person("gaoyan", "高艳", "hy-zj-nb", (R.REQUESTER,), "requester, Ningbo"),
    Person("linhao", "林浩", "hy-zj-nb", (R.REQUESTER,), "requester, Ningbo"),
    Person("xuwen", "徐文", "hy-js", (R.REQUESTER,), "requester, Jiangsu provincial company"),
    Person("heping", "何平", "hy-zj", (R.REQUESTER,), "requester, Zhejiang provincial company"),
    Person("tangmin", "唐敏", "hy-hq", (R.REQUESTER,), "requester, headquarters"),
)
NAMED_USERS = ("admin", "desk", "l1", "l2", "l3", "incident_manager", "requester", "requester2", "auditor")


@dataclass(frozen=True)
class Line:
    """A support group to create: members and lead by username."""

    code: str
    name: str
    name_en: str
    company: str
    line: str
    strategy: str
    members: tuple[str, ...]
    lead: str


def _lines() -> tuple[Line, ...]:
    groups = [Line("desk", "服务台", "Service desk", "hy-hq", "desk", "manual", ("desk", "desk2"), "desk")]
    city_members = {"hy-js-nj": ("l1", "l1_nj2"), "hy-js-sz": ("l1_sz",), "hy-js-wx": ("l1_wx",),
                    "hy-zj-hz": ("l1_hz", "l1_hz2"), "hy-zj-nb": ("l1_nb",)}
    names = {c.code: c for c in COMPANIES}
    for city, members in city_members.items():
        short = names[city].name.removesuffix("市公司")
        english = names[city].name_en.removesuffix(" City Company")
        groups.append(Line(f"{city}-l1", f"{short}一线", f"{english} L1", city, "l1", "round_robin", members,
                           members[-1]))
    province_members = {
        "hy-js": {"pms": ("l2",), "erp": ("l2_erp",), "mail": ("l2_erp", "l2_net"), "network": ("l2_net", "l2")},
        "hy-zj": {"pms": ("l2_zj",), "erp": ("l2_zj",), "mail": ("l2_zj_net",), "network": ("l2_zj_net",)},
    }
    service_names = {"pms": ("生产管理系统", "Production system"), "erp": ("ERP", "ERP"),
                     "mail": ("邮件", "Mail"), "network": ("网络", "Network")}
    for province, by_service in province_members.items():
        short = names[province].name.removeprefix("华源能源").removesuffix("省公司")
        english = names[province].name_en.removeprefix("Huayuan Energy ")
        for service, members in by_service.items():
            zh, en = service_names[service]
            groups.append(Line(f"{province}-{service}-l2", f"{short}{zh}二线", f"{english} {en} L2", province, "l2",
                               "least_loaded", members, members[0]))
    groups += [
        Line("hq-pms-l3", "生产管理系统研发三线", "Production system R&D (L3)", "hy-hq", "l3", "manual", ("l3",), "l3"),
        Line("hq-erp-l3", "ERP 研发三线", "ERP R&D (L3)", "hy-hq", "l3", "manual", ("l3_erp",), "l3_erp"),
        Line("vendor-sap", "SAP 原厂支持", "SAP vendor support", "hy-hq", "vendor", "manual", ("vendor_sap",),
             "vendor_sap"),
    ]
    return tuple(groups)


LINES = _lines()

SERVICES = (
    ("pms", "生产管理系统", "Production management system", "production",
     "运检、调度、营销共用的生产管理系统（设备台账、两票、缺陷、停电计划）。"),
    ("erp", "ERP", "ERP (SAP)", "erp", "财务、物资、人资一体化的 ERP 系统。"),
    ("mail", "邮件系统", "Mail", "mail", "集团统一邮件系统（Exchange）。"),
    ("network", "网络", "Network", "network", "办公网、VPN、无线网络及广域网专线。"),
)
# (service, code, name, English name, parent code)
CATEGORIES = (
    ("pms", "operation", "操作事件", "Operational event", None),
    ("pms", "business", "业务事件", "Business event", None),
    ("pms", "user", "用户处理", "User handling", None),
    ("pms", "system", "系统管理", "System administration", None),
    ("pms", "data", "数据问题", "Data issue", None),
    ("pms", "requirement", "新需求", "New requirement", None),
    ("pms", "bug", "程序BUG", "Program bug", None),
    ("erp", "business", "业务问题", "Business issue", None),
    ("erp", "business-fi", "财务模块", "Finance (FI/CO)", "business"),
    ("erp", "business-mm", "物资模块", "Materials (MM)", "business"),
    ("erp", "business-hr", "人资模块", "Human resources (HR)", "business"),
    ("erp", "report", "报表问题", "Report issue", None),
    ("erp", "data", "数据问题", "Data issue", None),
    ("erp", "access", "账号权限问题", "Account and access", None),
    ("mail", "delivery", "收发故障", "Sending and receiving", None),
    ("mail", "client", "客户端配置", "Client set-up", None),
    ("mail", "quota", "邮箱容量", "Mailbox quota", None),
    ("mail", "spam", "垃圾及钓鱼邮件", "Spam and phishing", None),
    ("network", "connectivity", "网络中断", "Connectivity", None),
    ("network", "vpn", "VPN", "VPN", None),
    ("network", "wifi", "无线网络", "Wi-Fi", None),
    ("network", "slow", "网速慢", "Slow network", None),
)


@dataclass
class Cast:
    """Everything the stories need, by code or username."""

    companies: dict[str, Organisation] = field(default_factory=dict)
    people: dict[str, User] = field(default_factory=dict)
    groups: dict[str, SupportGroup] = field(default_factory=dict)
    services: dict[str, Service] = field(default_factory=dict)
    categories: dict[tuple[str, str], Category] = field(default_factory=dict)

    def city_l1(self, company: str) -> SupportGroup:
        return self.groups[f"{company}-l1"]

    def province_l2(self, company: str, service: str) -> SupportGroup:
        province = company if company in PROVINCES else company.rsplit("-", 1)[0]
        if province not in PROVINCES:  # headquarters staff are served by Jiangsu
            province = PROVINCES[0]
        return self.groups[f"{province}-{service}-l2"]

    def requesters_in(self, company: str) -> list[User]:
        return [self.people[p.username] for p in PEOPLE if p.company == company and p.roles == (Role.REQUESTER,)]


def demo_loaded() -> bool:
    return Organisation.objects.filter(code=MARKER_ORGANISATION).exists()


def _phone(rng: random.Random) -> str:
    return f"1{rng.choice('35789')}{rng.randrange(10**8, 10**9)}"


@transaction.atomic
def build_cast(*, at: dt.datetime, rng: random.Random) -> Cast:
    """Companies, people, groups, services, categories and routing rules, as of ``at``."""
    cast = Cast()
    with clock.frozen_at(at):
        for company in COMPANIES:
            parent = cast.companies[company.parent] if company.parent else None
            cast.companies[company.code] = accounts.organisation_create(
                name=company.name, name_en=company.name_en, code=company.code, level=company.level, parent=parent)
        for person in PEOPLE:
            cast.people[person.username] = accounts.user_create(
                username=person.username, password=None, organisation=cast.companies[person.company],
                display_name=person.display_name, email=f"{person.username}@{EMAIL_DOMAIN}", phone=_phone(rng),
                roles=person.roles, is_superuser=person.superuser)
        # The short password "demo" is on purpose (the validators would refuse it, so they are not asked).
        # Hashed once for everyone: PBKDF2 takes about half a second per hash, the load should not.
        encoded = make_password(DEMO_PASSWORD)
        User.objects.filter(pk__in=[user.pk for user in cast.people.values()]).update(password=encoded)
        for user in cast.people.values():
            user.password = encoded
        for line in LINES:
            cast.groups[line.code] = accounts.group_create(
                name=line.name, name_en=line.name_en, code=line.code, organisation=cast.companies[line.company],
                line=line.line, strategy=line.strategy, lead=cast.people[line.lead],
                members=[cast.people[m] for m in line.members])
        _build_catalogue(cast)
        admin = cast.people["admin"]
        audit_record(actor=admin, action="demo.loaded", subject_type="demo", data={
            "organisations": len(cast.companies), "users": len(cast.people), "groups": len(cast.groups),
            "services": len(cast.services), "categories": len(cast.categories),
        })
    return cast


def _build_catalogue(cast: Cast) -> None:
    admin = cast.people["admin"]
    for code, name, name_en, kind, description in SERVICES:
        service = Service.objects.create(code=code, name=name, name_en=name_en, kind=kind, description=description)
        cast.services[code] = service
        audit_record(actor=admin, action="service.created", subject=service,
                     data={"code": code, "name": name, "name_en": name_en})
    for service_code, code, name, name_en, parent_code in CATEGORIES:
        parent = cast.categories[(service_code, parent_code)] if parent_code else None
        category = Category.objects.create(service=cast.services[service_code], code=code, name=name,
                                           name_en=name_en, parent=parent)
        cast.categories[(service_code, code)] = category
        audit_record(actor=admin, action="category.created", subject=category,
                     data={"service": service_code, "code": code, "name": name})
    rules: list[RoutingRule] = []
    for city in CITIES:  # mail and network faults go to the city's L1 engineers
        for service in ("mail", "network"):
            rules.append(RoutingRule(service=cast.services[service], organisation=cast.companies[city],
                                     group=cast.city_l1(city)))
    for province in PROVINCES:  # program bugs and ERP access go straight to the province's L2
        rules.append(RoutingRule(service=cast.services["pms"], category=cast.categories[("pms", "bug")],
                                 organisation=cast.companies[province], group=cast.province_l2(province, "pms")))
        rules.append(RoutingRule(service=cast.services["erp"], category=cast.categories[("erp", "access")],
                                 organisation=cast.companies[province], group=cast.province_l2(province, "erp")))
    for rule in rules:
        rule.save()
        audit_record(actor=admin, action="routing_rule.created", subject=rule, organisation_id=rule.organisation_id,
                     data={"service": rule.service.code, "category": rule.category.code if rule.category else None,
                           "organisation": rule.organisation.code if rule.organisation else None,
                           "group": rule.group.code})
