"""Two major incidents: one under way now (mail down in Jiangsu), one closed three weeks ago (ERP)."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from opsdesk.incidents import services as incidents
from opsdesk.incidents.choices import Channel, Impact, Urgency

from .texts import Fault

if TYPE_CHECKING:
    from .stories import Story, Teller

MAIL_OUTAGE = Fault(
    "mail", "delivery", "江苏省公司邮件系统无法收发邮件",
    "省公司本部及多个市公司同时反映 Outlook 提示“正在尝试连接”，网页版邮箱也无法打开，"
    "内外部邮件均无法收发。",
    "邮件服务器存储控制器故障，已切换至备用节点并恢复全部邮箱数据。", "hardware", first_line="l2")
MAIL_CHILDREN = (
    ("liming", "Outlook 一直提示“正在尝试连接”", "打开 Outlook 后右下角一直显示“正在尝试连接”，收不到新邮件。"),
    ("zhouyang", "邮件发不出去，提示服务器无响应", "发送邮件时提示“服务器没有响应”，重启电脑后还是一样。"),
    ("zhengkai", "网页版邮箱打不开", "用浏览器登录网页版邮箱，页面转圈后提示 503。"),
    ("chenxiu", "手机收不到公司新邮件", "手机上的公司邮箱从上午开始就没有新邮件了。"),
)
ERP_OUTAGE = Fault(
    "erp", "business", "ERP 系统登录报错“系统繁忙”，全省用户无法登录",
    "8:40 起浙江省公司及各市公司用户登录 ERP 均提示“系统繁忙，请稍后再试”，月末结账工作受阻。",
    "SAP 消息服务器进程异常退出且未自动拉起。原厂确认为已知缺陷，重启消息服务并打补丁后恢复，已纳入问题管理。",
    "software", first_line="l2")
ERP_CHILDREN = (
    ("requester2", "ERP 登录不了，提示系统繁忙", "早上开始 ERP 一直登录不上，提示系统繁忙，今天要做报销审批。"),
    ("hujun", "SAP GUI 连接服务器失败", "SAP GUI 登录时提示“连接到消息服务器失败”。"),
    ("gaoyan", "月末结账无法进行", "财务部无法登录 ERP，月末结账工作无法开展，请尽快处理。"),
)


def _child(teller: Teller, username: str, title: str, description: str, service: str, category: str) -> Story:
    from .stories import Story

    requester = teller.people[username]
    fault = Fault(service, category, title, description, "", "")
    story = Story(fault=fault, requester=requester, company=requester.organisation.code, target="")

    def create() -> None:
        incident = incidents.incident_create(
            actor=requester, title=title, description=description, service=teller.cast.services[service],
            category=teller.cast.categories[(service, category)], impact=Impact.LOW, urgency=Urgency.HIGH,
            channel=Channel.PORTAL)
        story.number, story.record = incident.number, incident

    story.then(0, create)
    return story


def _major(teller: Teller, fault: Fault, requester: str, group: str) -> Story:
    from .stories import Story

    person = teller.people[requester]
    story = Story(fault=fault, requester=person, company=person.organisation.code, target="")

    def create() -> None:
        incident = incidents.incident_create(
            actor=teller.people["desk"], requester=person, title=fault.title, description=fault.description,
            service=teller.cast.services[fault.service], category=teller.cast.categories[(fault.service, fault.category)],
            impact=Impact.HIGH, urgency=Urgency.HIGH, channel=Channel.PHONE, group=teller.cast.groups[group])
        story.number, story.record = incident.number, incident

    story.then(0, create)
    return story


def plan_majors(teller: Teller) -> list[tuple[dt.datetime, Story]]:
    return _mail_outage(teller) + _erp_outage(teller)


def _mail_outage(teller: Teller) -> list[tuple[dt.datetime, Story]]:
    """Under way: flagged, four children linked, two updates posted, engineers at work."""
    manager, desk = teller.people["incident_manager"], teller.people["desk"]
    start = teller.in_office_hours(teller.now - dt.timedelta(hours=5), teller.now - dt.timedelta(hours=30),
                                   teller.now - dt.timedelta(hours=5))
    major = _major(teller, MAIL_OUTAGE, "xuwen", "hy-js-mail-l2")
    major.then(4, lambda: incidents.incident_flag_major(actor=manager, incident=major.number, version=None,
                                                        reason="省公司及多个市公司邮件中断"))
    major.then(1, lambda: incidents.incident_watch(actor=manager, incident=major.number, user=desk))
    major.then(3, lambda: teller.take(major))
    major.then(20, lambda: teller.log(major, "检查邮件服务器，发现存储卷只读，数据库无法挂载。"))
    children = [_child(teller, username, title, description, "mail", "delivery")
                for username, title, description in MAIL_CHILDREN]
    placed = [(start, major)]
    for index, child in enumerate(children):
        at = start + dt.timedelta(minutes=10 + 12 * index)
        child.then(6, lambda child=child: incidents.incident_link_child(actor=manager, major=major.number,
                                                                         child=child.number))
        placed.append((at, child))
    major.then(40, lambda: incidents.incident_post_major_update(
        actor=manager, major=major.number,
        body="已确认为江苏省邮件服务器存储故障，正在切换到备用节点，预计 2 小时内恢复。请勿重复报障。"))
    major.then(30, lambda: incidents.incident_comment(
        actor=teller.handler(major), incident=major.number, internal=True,
        body="存储厂商工程师已远程接入，备用节点数据同步中。"))
    major.then(60, lambda: teller.log(major, "启用备用节点，逐个挂载邮箱数据库并校验。"))
    major.then(30, lambda: incidents.incident_post_major_update(
        actor=manager, major=major.number, body="备用节点已启用，约 60% 用户已恢复收发，其余邮箱数据仍在同步。"))
    children[1].then(120, lambda: teller.transition(children[1], children[1].requester, "chase",
                                                    comment="还是发不出去，客户在等回复。"))
    return placed


def _erp_outage(teller: Teller) -> list[tuple[dt.datetime, Story]]:
    """Closed: L2 → L3 → the vendor, resolved, the children resolved with it, everyone confirmed."""
    manager, desk = teller.people["incident_manager"], teller.people["desk"]
    start = (teller.now - dt.timedelta(days=21)).replace(hour=0, minute=40)  # 08:40 in Shanghai
    major = _major(teller, ERP_OUTAGE, "heping", "hy-zj-erp-l2")
    major.then(5, lambda: incidents.incident_flag_major(actor=manager, incident=major.number, version=None,
                                                        reason="全省 ERP 无法登录，影响月末结账"))
    major.then(3, lambda: teller.take(major))
    major.then(15, lambda: teller.log(major, "检查应用服务器，对话实例正常，消息服务器端口无响应。"))
    children = [_child(teller, username, title, description, "erp", "business")
                for username, title, description in ERP_CHILDREN]
    placed = [(start, major)]
    for index, child in enumerate(children):
        child.then(8, lambda child=child: incidents.incident_link_child(actor=manager, major=major.number,
                                                                        child=child.number))
        placed.append((start + dt.timedelta(minutes=6 + 9 * index), child))
    major.then(25, lambda: teller.escalate(major, ("消息服务器异常，需要研发三线分析。",)))
    major.then(5, lambda: teller.take(major))
    major.then(10, lambda: incidents.incident_post_major_update(
        actor=manager, major=major.number, body="故障原因已初步定位为 SAP 消息服务器异常，研发和原厂正在处理。"))
    major.then(30, lambda: teller.log(major, "消息服务器进程反复退出，收集 dev_ms 日志。"))
    major.then(5, lambda: teller.escalate(major, ("需原厂支持分析消息服务器内核问题。",)))
    major.then(10, lambda: teller.take(major))
    major.then(40, lambda: teller.log(major, "原厂确认为已知缺陷，重启消息服务并应用补丁。"))
    major.then(10, lambda: teller.resolve(major))
    major.then(5, lambda: incidents.incident_post_major_update(
        actor=manager, major=major.number, body="ERP 已恢复正常登录，请各单位继续月末结账工作。"))
    end = major.minute  # the children are resolved just after the major's last update
    for index, child in enumerate(children):
        offset = dt.timedelta(minutes=6 + 9 * index)
        wait = end - child.minute - offset.total_seconds() / 60 + 2 + index
        child.then(wait, lambda child=child: teller.transition(
            child, desk, "resolve", resolution=f"随主事件 {major.number} 一并解决：{ERP_OUTAGE.resolution}",
            cause_code="software"))
        child.then(90 + 30 * index, lambda child=child, rating=4 + index % 2: teller.confirm(child, rating))
    major.then(240, lambda: teller.confirm(major, 4))
    return placed
