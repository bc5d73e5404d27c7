"""The demo's incidents, told through the incident services as they would have happened.

Each incident gets a story: a list of steps (create, dispatch, take, log
work, escalate, pend, resolve, confirm …) at minute offsets, placed in the
last sixty days so that it ends in a chosen state by now. The steps of all
stories then run in time order, each under ``clock.frozen_at`` its moment,
so numbers, timestamps and the audit chain read like real history. The
auto-confirm sweep runs as the scheduler would have.
"""

from __future__ import annotations

import datetime as dt
import heapq
import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.conf import settings

from opsdesk.accounts.models import SupportGroup, User
from opsdesk.core import clock
from opsdesk.incidents import services as incidents
from opsdesk.incidents.choices import Channel, Impact, IncidentState, PendingReason, Urgency
from opsdesk.incidents.models import Incident

from . import texts
from .seed import CITIES, PEOPLE, Cast
from .texts import Fault

S = IncidentState
SHANGHAI = ZoneInfo("Asia/Shanghai")
HISTORY_DAYS = 60
# Share of each final state among the generated incidents (every state gets at least one).
TARGET_SHARES = (
    (S.CLOSED, 50), (S.CANCELLED, 7), (S.RESOLVED, 9), (S.PENDING, 6), (S.IN_PROGRESS, 12), (S.ASSIGNED, 9), (S.NEW, 7),
)


def target_states(count: int, rng: random.Random) -> list[str]:
    total = sum(share for _state, share in TARGET_SHARES)
    states = [state for state, share in TARGET_SHARES for _ in range(max(1, round(count * share / total)))]
    while len(states) > count and states.count(S.CLOSED) > 1:
        states.remove(S.CLOSED)
    while len(states) < count:
        states.append(S.CLOSED)
    rng.shuffle(states)
    return states


Step = Callable[[], object]


@dataclass
class Story:
    fault: Fault
    requester: User
    company: str
    target: str
    number: str = ""
    record: Incident | None = None  # as the last service call returned it
    steps: list[tuple[float, Step]] = field(default_factory=list)
    minute: float = 0.0

    def then(self, after: float, step: Step) -> None:
        """Add ``step`` ``after`` minutes after the previous one."""
        self.minute += after
        self.steps.append((self.minute, step))


class Teller:
    def __init__(self, cast: Cast, rng: random.Random, now: dt.datetime) -> None:
        self.cast, self.rng, self.now = cast, rng, now
        self.days = settings.OPSDESK_AUTO_CONFIRM_DAYS
        self.people = cast.people
        weights = {"requester": 6, "requester2": 5}
        self.requesters = [p.username for p in PEOPLE if p.roles == ("requester",)]
        self.requester_weights = [weights.get(name, 1) for name in self.requesters]
        self.by_id = {user.pk: user for user in cast.people.values()}
        self.groups_by_id = {group.pk: group for group in cast.groups.values()}
        self.members = {group.pk: sorted(group.memberships.values_list("user__username", flat=True))
                        for group in cast.groups.values()}

    # Reading the record --------------------------------------------------------------------------

    def handler(self, story: Story) -> User:
        """The assignee, or a member of the assigned group when nobody is assigned."""
        record = story.record
        if record.assignee_id:
            return self.by_id[record.assignee_id]
        return self.people[self.rng.choice(self.members[record.assigned_group_id])]

    def routes(self, fault: Fault, company: str) -> bool:
        """Whether the demo's routing rules assign this fault on creation (see seed._build_catalogue)."""
        if company in CITIES and fault.service in ("mail", "network"):
            return True
        in_province = company not in ("hy-hq",)
        return in_province and (fault.service, fault.category) in (("pms", "bug"), ("erp", "access"))

    def first_group(self, story: Story) -> SupportGroup:
        if story.fault.first_line == "l1" and story.company in CITIES:
            return self.cast.city_l1(story.company)
        return self.cast.province_l2(story.company, story.fault.service)

    def starts_at_l1(self, story: Story) -> bool:
        """Whether the first group to work on it is the city's L1 (by dispatch or by a routing rule)."""
        fault = story.fault
        return story.company in CITIES and (fault.first_line == "l1" or fault.service in ("mail", "network"))

    def higher_group(self, story: Story) -> SupportGroup:
        current = self.groups_by_id[story.record.assigned_group_id]
        service = story.fault.service
        if current.line == "l1":
            return self.cast.province_l2(story.company, service)
        if current.line == "l2" and service in ("pms", "erp"):
            return self.cast.groups[f"hq-{service}-l3"]
        if current.line == "l3" and service == "erp":
            return self.cast.groups["vendor-sap"]
        raise LookupError(f"{story.number}: no line above {current.code} for {service}")

    # Steps ------------------------------------------------------------------------------------------

    def create(self, story: Story, *, actor: User, channel: str, group: SupportGroup | None = None,
               override: bool = False) -> None:
        fault = story.fault
        impact = self.rng.choices([Impact.HIGH, Impact.MEDIUM, Impact.LOW], [1, 3, 6])[0]
        urgency = self.rng.choices([Urgency.HIGH, Urgency.MEDIUM, Urgency.LOW], [2, 5, 3])[0]
        priority, reason = None, ""
        if override:
            computed = incidents.priority_for(impact=impact, urgency=urgency)
            priority, reason = max(1, computed - 1), self.rng.choice(("影响重要客户供电服务。", "公司领导关注，提级处理。"))
        title = fault.title.format(dept=self.rng.choice(texts.DEPARTMENTS))
        occurred = clock.now() - dt.timedelta(minutes=self.rng.randrange(5, 180))
        incident = incidents.incident_create(
            actor=actor, requester=story.requester, title=title, description=fault.description,
            service=self.cast.services[fault.service], category=self.cast.categories[(fault.service, fault.category)],
            impact=impact, urgency=urgency, channel=channel, occurred_at=occurred, group=group,
            priority=priority, priority_reason=reason,
        )
        story.number, story.record = incident.number, incident

    def transition(self, story: Story, actor: User, name: str, **inputs: object) -> None:
        story.record = incidents.incident_transition(actor=actor, incident=story.number, transition=name, **inputs)

    def dispatch(self, story: Story) -> None:
        if story.record.state == S.NEW:
            self.transition(story, self.people["desk"], "assign", group=self.first_group(story))

    def reclassify(self, story: Story) -> None:
        record = story.record
        story.record = incidents.incident_update(
            actor=self.people["desk"], incident=story.number, version=record.version,
            urgency=Urgency.HIGH if record.urgency != Urgency.HIGH else Urgency.MEDIUM)

    def take(self, story: Story) -> None:
        self.transition(story, self.handler(story), "accept")

    def log(self, story: Story, note: str = "") -> None:
        incidents.incident_log_work(actor=self.handler(story), incident=story.number,
                                    minutes=self.rng.choice((10, 15, 20, 30, 45, 60, 90, 120)),
                                    note=note or self.rng.choice(texts.WORKLOG_NOTES))

    def comment(self, story: Story, who: str) -> None:
        if who == "requester":
            actor, body, internal = story.requester, self.rng.choice(texts.REQUESTER_COMMENTS), False
        elif who == "internal":
            actor, body, internal = self.handler(story), self.rng.choice(texts.INTERNAL_COMMENTS), True
        else:
            actor, body, internal = self.handler(story), self.rng.choice(texts.STAFF_PUBLIC_COMMENTS), False
        incidents.incident_comment(actor=actor, incident=story.number, body=body, internal=internal)

    def escalate(self, story: Story, reasons: tuple[str, ...]) -> None:
        self.transition(story, self.handler(story), "escalate", group=self.higher_group(story),
                        reason=self.rng.choice(reasons))

    def pend(self, story: Story, kind: str) -> None:
        if kind == PendingReason.VENDOR:
            reason, vendor = self.rng.choice(texts.PEND_VENDOR)
        else:
            reason, vendor = self.rng.choice(texts.PEND_CUSTOMER), ""
        self.transition(story, self.handler(story), "pend", reason=reason, pending_reason=kind, vendor=vendor)

    def resolve(self, story: Story) -> None:
        self.transition(story, self.handler(story), "resolve", resolution=story.fault.resolution,
                        cause_code=story.fault.cause)

    def confirm(self, story: Story, rating: int) -> None:
        self.transition(story, story.requester, "confirm", rating=rating,
                        comment=self.rng.choice(texts.RATING_COMMENTS[rating]))

    def callback_and_close(self, story: Story) -> None:
        desk = self.people[self.rng.choice(("desk", "desk2"))]
        story.record = incidents.incident_record_callback(actor=desk, incident=story.number, rating=self.rng.choice((4, 5, 5, 3)),
                                           comment=self.rng.choice(texts.CALLBACK_COMMENTS))
        self.transition(story, desk, "close")

    def sweep(self) -> None:
        incidents.incidents_auto_confirm(days=self.days)

    # Planning ---------------------------------------------------------------------------------------

    def pick_fault(self, target: str, company: str) -> Fault:
        faults = [f for f in texts.FAULTS if not f.channel]
        if target == S.NEW:  # an incident still new is one no rule routed
            faults = [f for f in faults if not self.routes(f, company)]
        return self.rng.choice(faults)

    def plan(self, target: str) -> Story:
        rng = self.rng
        special = [f for f in texts.FAULTS if f.channel]
        if target not in (S.NEW, S.CANCELLED) and rng.random() < 0.08:
            fault = rng.choice(special)
            company = rng.choice(CITIES)
            l1 = self.cast.city_l1(company)
            requester = self.people[l1.lead.username]
        else:
            requester = self.people[rng.choices(self.requesters, self.requester_weights)[0]]
            company = requester.organisation.code
            fault = self.pick_fault(target, company)
        story = Story(fault=fault, requester=requester, company=company, target=target)
        self.plan_intake(story)
        getattr(self, f"plan_{target}")(story)
        return story

    def plan_intake(self, story: Story) -> None:
        rng, fault = self.rng, story.fault
        desk = self.people[rng.choice(("desk", "desk", "desk2"))]
        if fault.channel == "inspection":
            story.then(0, lambda: self.create(story, actor=story.requester, channel=Channel.INSPECTION))
        elif fault.channel == "monitoring":
            story.then(0, lambda: self.create(story, actor=desk, channel=Channel.MONITORING))
        elif rng.random() < 0.55:
            story.then(0, lambda: self.create(story, actor=story.requester, channel=Channel.PORTAL))
            if rng.random() < 0.15:
                story.then(rng.uniform(3, 30), lambda: self.reclassify(story))
        else:
            channel = Channel.PHONE if rng.random() < 0.8 else Channel.EMAIL
            direct = story.target != S.NEW and not self.routes(fault, story.company) and rng.random() < 0.3
            override = rng.random() < 0.08
            story.then(0, lambda: self.create(story, actor=desk, channel=channel, override=override,
                                              group=self.first_group(story) if direct else None))
        if rng.random() < 0.1 and story.target != S.NEW:
            colleague = self.people[rng.choice(self.requesters)]
            if colleague.pk != story.requester.pk:
                story.then(rng.uniform(1, 20), lambda: incidents.incident_watch(
                    actor=self.people["desk"], incident=story.number, user=colleague))

    def plan_new(self, story: Story) -> None:
        if self.rng.random() < 0.4:
            story.then(self.rng.uniform(60, 300), lambda: self.transition(
                story, story.requester, "chase", comment=self.rng.choice(texts.CHASE_NOTES)))

    def plan_dispatch(self, story: Story) -> None:
        story.then(self.rng.uniform(5, 40), lambda: self.dispatch(story))

    def plan_cancelled(self, story: Story) -> None:
        rng = self.rng
        if rng.random() < 0.5:
            self.plan_dispatch(story)
        reason = rng.choice(texts.CANCEL_REASONS)
        actor = story.requester if rng.random() < 0.5 and story.fault.channel == "" else self.people["desk"]
        story.then(rng.uniform(20, 240), lambda: self.transition(story, actor, "cancel", reason=reason))

    def plan_assigned(self, story: Story) -> None:
        rng = self.rng
        self.plan_dispatch(story)
        if self.starts_at_l1(story) and rng.random() < 0.3:
            self.plan_take(story)
            story.then(rng.uniform(30, 240), lambda: self.escalate(story, texts.ESCALATE_L2))
        if rng.random() < 0.3:
            story.then(rng.uniform(60, 600), lambda: self.transition(
                story, story.requester, "chase", comment=rng.choice(texts.CHASE_NOTES)))

    def plan_take(self, story: Story) -> None:
        story.then(self.rng.uniform(10, 90), lambda: self.take(story))
        story.then(self.rng.uniform(10, 120), lambda: self.log(story))

    def plan_work(self, story: Story, *, pend_cycle: bool = True) -> None:
        """Dispatch, take, log work; perhaps escalate (and return), comment, pend and resume."""
        rng, fault = self.rng, story.fault
        self.plan_dispatch(story)
        self.plan_take(story)
        for who, chance in (("internal", 0.2), ("requester", 0.15), ("staff", 0.15)):
            if rng.random() < chance:
                story.then(rng.uniform(5, 60), lambda who=who: self.comment(story, who))
        escalated = self.starts_at_l1(story) and rng.random() < (0.25 if fault.first_line == "l1" else 0.6)
        if escalated:
            story.then(rng.uniform(30, 240), lambda: self.escalate(story, texts.ESCALATE_L2))
            self.plan_take(story)
            if rng.random() < 0.2:
                story.then(rng.uniform(30, 180), lambda: self.transition(
                    story, self.handler(story), "return", reason=rng.choice(texts.RETURN_REASONS)))
                self.plan_take(story)
        elif fault.escalate_to_l3 and rng.random() < 0.6:
            story.then(rng.uniform(60, 480), lambda: self.escalate(story, texts.ESCALATE_L3))
            self.plan_take(story)
            if fault.service == "erp" and rng.random() < 0.4:
                story.then(rng.uniform(60, 480), lambda: self.escalate(story, texts.ESCALATE_VENDOR))
                self.plan_take(story)
        if pend_cycle and rng.random() < 0.2:
            kind = PendingReason.VENDOR if rng.random() < 0.4 else PendingReason.CUSTOMER
            story.then(rng.uniform(10, 120), lambda: self.pend(story, kind))
            story.then(rng.uniform(60, 900), lambda: self.transition(story, self.handler(story), "resume"))
            story.then(rng.uniform(10, 120), lambda: self.log(story))

    def plan_in_progress(self, story: Story) -> None:
        rng = self.rng
        if rng.random() < 0.1 and not story.fault.channel:  # fixed, confirmed, then reopened by the requester
            self.plan_resolved(story)
            story.then(rng.uniform(30, 600), lambda: self.confirm(story, 2))
            story.then(rng.uniform(60, 1440), lambda: self.transition(
                story, story.requester, "reopen", reason=rng.choice(texts.REJECT_REASONS)))
            self.plan_take(story)
            return
        self.plan_work(story, pend_cycle=rng.random() < 0.5)

    def plan_pending(self, story: Story) -> None:
        self.plan_work(story, pend_cycle=False)
        kind = PendingReason.VENDOR if self.rng.random() < 0.4 else PendingReason.CUSTOMER
        story.then(self.rng.uniform(10, 120), lambda: self.pend(story, kind))

    def plan_resolved(self, story: Story) -> None:
        self.plan_work(story)
        story.then(self.rng.uniform(20, 600), lambda: self.log(story, story.fault.worklog))
        story.then(self.rng.uniform(5, 60), lambda: self.resolve(story))

    def plan_closed(self, story: Story) -> None:
        rng = self.rng
        self.plan_resolved(story)
        soon = self.days * 1440 * 0.7  # well inside the auto-confirm window
        roll = rng.random()
        if story.fault.channel:  # reported by an engineer or a monitor: the desk calls back and closes
            roll = 0.9 if roll < 0.7 else 0.8
        if roll < 0.58:
            rating = rng.choices((5, 4, 3, 2), (12, 6, 2, 1))[0]
            story.then(rng.uniform(20, soon), lambda: self.confirm(story, rating))
        elif roll < 0.66:
            story.then(rng.uniform(20, soon / 2), lambda: self.transition(
                story, story.requester, "reject", reason=rng.choice(texts.REJECT_REASONS)))
            self.plan_take(story)
            story.then(rng.uniform(30, 600), lambda: self.resolve(story))
            story.then(rng.uniform(20, soon), lambda: self.confirm(story, rng.choice((3, 4, 5))))
        elif roll < 0.85:  # nobody answers: the scheduler's sweep confirms it
            story.then(self.days * 1440 + rng.uniform(1, 60), self.sweep)
        else:
            story.then(rng.uniform(60, soon), lambda: self.callback_and_close(story))

    # Placing in time ----------------------------------------------------------------------------------

    def place(self, story: Story) -> dt.datetime:
        """The moment the story starts, so that it ends in its target state by now."""
        rng, duration = self.rng, dt.timedelta(minutes=story.minute)
        gaps = {S.NEW: (5, 600), S.ASSIGNED: (10, 1440), S.IN_PROGRESS: (10, 2880), S.PENDING: (30, 4320),
                S.RESOLVED: (30, self.days * 1440 * 0.6)}
        if story.target in gaps:
            low, high = gaps[story.target]
            start = self.now - dt.timedelta(minutes=rng.uniform(low, high)) - duration
            # An open record may look a day older; a resolved one must stay inside the auto-confirm window.
            slack = high if story.target == S.RESOLVED else high + 1440
            earliest = self.now - dt.timedelta(minutes=slack) - duration
            latest = self.now - dt.timedelta(minutes=low) - duration
        else:
            earliest = self.now - dt.timedelta(days=HISTORY_DAYS)
            latest = self.now - duration - dt.timedelta(hours=1)
            start = earliest + (latest - earliest) * rng.random() if latest > earliest else latest
        return self.in_office_hours(start, earliest, latest)

    def in_office_hours(self, start: dt.datetime, earliest: dt.datetime, latest: dt.datetime) -> dt.datetime:
        """Move a start outside 8:00–19:00 in Shanghai into the working day before it, if the window allows."""
        local = start.astimezone(SHANGHAI)
        if 8 <= local.hour < 19:
            return start
        day = local.date() - dt.timedelta(days=1 if local.hour < 8 else 0)
        moved = dt.datetime.combine(day, dt.time(self.rng.randrange(8, 18), self.rng.randrange(60)), SHANGHAI)
        return moved if earliest <= moved <= latest else start


def tell(cast: Cast, *, count: int, rng: random.Random, now: dt.datetime) -> Counter[str]:
    """Plan ``count`` stories plus the major incidents, then play every step in time order."""
    from .majors import plan_majors

    teller = Teller(cast, rng, now)
    queue: list[tuple[dt.datetime, int, Step]] = []
    stories = [teller.plan(target) for target in target_states(count, rng)]
    placed = [(teller.place(story), story) for story in stories] + plan_majors(teller)
    for start, story in placed:
        for minute, step in story.steps:
            moment = (start + dt.timedelta(minutes=minute)).astimezone(dt.UTC)
            queue.append((moment, len(queue), step))
    heapq.heapify(queue)
    while queue:
        moment, _seq, step = heapq.heappop(queue)
        with clock.frozen_at(moment):
            step()
    return Counter(Incident.objects.values_list("state", flat=True))
