"""A year of Acme's resolved and closed tickets, written from ``history_kinds.KINDS``.

Triage learns routing from an account's history, so the history has to look like one: employees word
the same problem many ways (greetings, typos, one-liners, long emails with signatures, phone notes
typed by an agent), the form fields follow the content (category / sub-category / item from the
ticket form, urgency and impact from what the employee says, priority from the matrix), and each
group has specialists: one agent takes most tickets of a specialty, a colleague some, the rest a few.
People move: an agent changed groups five months ago, others left (deactivated, no group). Some
tickets went to a neighbouring group (first line fixed it) and a few were filed under the wrong
category or none. Every ticket ends with how it was fixed: a public reply and/or a private
"Resolution: ..." note.

Deterministic for a seed and ``now`` (its own ``random.Random``, so the rest of the seed is unchanged),
and fast: about 3,000 tickets in well under a second.
"""

from __future__ import annotations

import bisect
import html
import itertools
import random
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from sandbox.seed.history_kinds import (
    CALM_CUES,
    CATEGORY_TREE,
    GENERIC_EXTRAS,
    KINDS,
    URGENT_CUES,
    WIDE_CUES,
    Kind,
)
from sandbox.seed.model import Obj, SeedData

HISTORY_SIZE = 3000
HISTORY_DAYS = 365
DEMO_EMAILS = {"alice.nguyen", "bob.martin", "carol.diaz", "dan.okafor", "erin.walsh"}
# Agents who left (deactivated, no longer in a group): first, last, group they were in, days ago they left.
LEAVERS = (("Greta", "Olsen", "Desktop Support", 120), ("Raj", "Malhotra", "Network", 200),
           ("Tom", "Fraser", "Service Desk", 60))
# An agent who changed groups: (first, last, old group, days ago they moved); now in their seeded group.
MOVERS = (("Ingrid", "Lund", "Service Desk", 150),)
# Urgency x impact -> priority (1 Low .. 4 Urgent), the account's priority matrix.
PRIORITY = {(1, 1): 1, (1, 2): 2, (1, 3): 2, (2, 1): 2, (2, 2): 2, (2, 3): 3, (3, 1): 3, (3, 2): 3, (3, 3): 4}
# Kinds where colleagues are often hit too (employees then say so, and impact goes up).
SHARED_PROBLEMS = {"vpn_connect", "vpn_drops", "wifi_drops", "dns_intranet", "printer_jam", "printer_release",
                   "label_printer", "meeting_room", "teams", "outlook_mail", "company_portal", "salesforce", "concur",
                   "phishing", "onedrive"}
SHARES = (0.70, 0.18)  # primary, secondary; the rest of the group shares what is left
ALT_GROUP_SHARE = 0.12
SOURCES = ((1, 40), (2, 38), (3, 9), (4, 5), (15, 8))  # email, portal, phone, chat, MS Teams

GREETINGS = ("Hi IT,", "Hello,", "Hi team,", "hi", "Hey,", "Good morning,", "Hi there,", "Dear IT Support,",
             "Hi all,", "Hello IT team,")
SIGNOFFS = ("Thanks,\n{first}", "Thanks!", "thx", "Cheers,\n{first}", "Regards,\n{first} {last}",
            "Best regards,\n{first} {last}\n{title} | Acme Corp", "Thank you", "Many thanks, {first}",
            "Thanks in advance\n{first}")
MOBILE_FOOTER = ("Sent from my iPhone", "Sent from Outlook for Android", "Get Outlook for iOS")
PHONE_LEADS = ("{first} called: ", "Caller ({first} {last}) reports: ", "Phone call - ", "User rang the desk. ")
FIRST_REPLIES = ("Hi {first}, thanks for reaching out. I'm looking into this now.",
                 "Hi {first}, I've picked this up and will get back to you shortly.",
                 "Hello {first}, thanks - checking this now. Are you available for a quick Teams call?",
                 "Hi {first}, could you send a screenshot of the error please?")
REQUESTER_FOLLOWUPS = ("Yes I'm at my desk now.", "Screenshot attached.", "Still happening this morning.",
                       "ok, calling you now", "Sure, I'm free after 2pm.")
FIX_REPLIES = ("Hi {first},\n\nI {fix}. Can you try again and let me know if it works?\n\nThanks,\n{agent}",
               "Hi {first}, quick update: I {fix}. It should be working now.",
               "Hello {first},\n\n{cause_sentence}I {fix}.\n\nI'll resolve this ticket; just reply if anything is still wrong.\n\nBest,\n{agent}",
               "Hi {first}, all sorted - I {fix}. Have a good day!",
               "{first}, I {fix}. Please restart your laptop once and check.")
NOTES = ("Resolution: {Fix}.", "Cause: {Cause}. Resolution: {Fix}.", "Resolution: {Fix}. Confirmed with the user.",
         "Root cause: {Cause}\nFix: {Fix}.", "Resolved - {fix_user}.")
THANKS = ("Works now, thank you!", "Thanks, all good.", "perfect thx", "Great, thanks for the quick help!",
          "yes it works again", "Thank you so much!")
CATALOG_ROUTES = {"Hardware": ("Desktop Support", "Hardware"), "Software": ("Software & Licensing", "Software"),
                  "Access": ("Identity & Access", "Access"), "Onboarding & Offboarding": ("Service Desk", "Access"),
                  "Workplace": ("Desktop Support", "Hardware")}
CATALOG_SUBS = {"New laptop": ("Laptop", None), "Monitor": ("Monitor", "Dell U2723QE"),
                "Docking station": ("Peripherals", "Docking station"), "Headset": ("Headset", "Jabra Evolve2 65"),
                "Mobile phone": ("Mobile", None), "Encrypted USB drive": ("Peripherals", None),
                "Shared mailbox": ("Mailbox", "Shared mailbox"), "Distribution list": ("Mailbox", None),
                "Access to a shared drive": ("Shared drive", "S: drive"), "Temporary admin rights": ("Account", None),
                "VPN access for a contractor": ("Account", "New account"), "New hire onboarding": ("Account", "New account"),
                "Conference room setup": ("Meeting room", None), "Wireless keyboard and mouse": ("Peripherals", None),
                "USB-C laptop charger": ("Laptop", None), "USB-C to HDMI adapter": ("Peripherals", None),
                "Grammarly Business": ("Licence", None)}
CATALOG_FIXES = {
    "Hardware": ("Hi {first}, your {item} is ready - you can pick it up at the IT bar on the 2nd floor.",
                 "Hi {first}, the {item} was shipped to your home address today (tracking in the order email).",
                 "Hello {first}, the {item} is on your desk. Closing this request."),
    "Other": ("Hi {first}, {item} has been set up for you. Closing this request.",
              "Hello {first}, the {item} request is fulfilled. Let us know if anything is missing.",
              "Hi {first}, done - {item} is all yours."),
}


def _iso(value: datetime) -> str:
    return value.isoformat()[:19] + "Z"  # every datetime here is UTC-aware


def _at(raw: str) -> datetime:
    return datetime.strptime(raw, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


class _Writer:
    """Turns a kind and a requester into the words of a ticket and of its resolution."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def typo(self, text: str, count: int = 1) -> str:
        """Swap, drop or double a letter inside a word, like fast typing does."""
        rng = self.rng
        for _ in range(count):
            spots = [m.start() for m in re.finditer(r"[a-z]{4,}", text)]
            if not spots:
                return text
            start = rng.choice(spots) + rng.randint(1, 2)
            if start + 1 >= len(text) or not text[start + 1].isalpha():
                continue
            move = rng.random()
            if move < 0.45:
                text = text[:start] + text[start + 1] + text[start] + text[start + 2:]
            elif move < 0.75:
                text = text[:start] + text[start + 1:]
            else:
                text = text[:start] + text[start] + text[start:]
        return text

    @staticmethod
    def fill(template: str, values: dict[str, str]) -> str:
        return template.format_map(_Defaulting(values)) if "{" in template else template

    def subject(self, kind: Kind, values: dict[str, str], urgency: int) -> str:
        rng = self.rng
        text = self.fill(rng.choice(kind.subjects), values)
        roll = rng.random()
        if roll < 0.08:
            text = text.lower()
        elif roll < 0.12:
            text = self.typo(text)
        if urgency == 3 and rng.random() < 0.25:
            text = rng.choice(("URGENT: ", "Urgent - ", "ASAP: ")) + text
        elif rng.random() < 0.05:
            text = rng.choice(("RE: ", "FW: ", "Fwd: ")) + text
        return text[:1].upper() + text[1:] if rng.random() < 0.9 else text

    def description(self, kind: Kind, values: dict[str, str], person: Obj, source: int, cues: list[str]) -> str:
        rng = self.rng
        body = [self.fill(rng.choice(kind.descriptions), values)]
        extras = [self.fill(e, values) for e in kind.extras]
        if kind.type == "Incident" and kind.category in ("Hardware", "Software", "Network", "Email"):
            extras += GENERIC_EXTRAS
        for _ in range(rng.choices((0, 1, 2, 3), weights=(45, 30, 17, 8))[0] if extras else 0):
            body.append(rng.choice(extras))
        body += [self.fill(c, values) for c in cues]
        body = list(dict.fromkeys(body))  # no sentence twice
        text = " ".join(s if s[-1] in ".!?:" or i == len(body) - 1 else s + "." for i, s in enumerate(body))
        if rng.random() < 0.22:
            text = self.typo(text, rng.randint(1, 3))
        who = {"first": person["first_name"], "last": person["last_name"], "title": person.get("job_title") or ""}
        if source in (4, 15):  # chat: one line, lower case, no greeting
            return text.split(". ")[0].lower().rstrip(".")
        if source == 3:  # typed by the agent who took the call
            return self.fill(rng.choice(PHONE_LEADS), who) + text
        parts = []
        if rng.random() < (0.75 if source == 1 else 0.35):
            parts.append(rng.choice(GREETINGS))
        parts.append(text)
        if rng.random() < (0.7 if source == 1 else 0.25):
            parts.append(self.fill(rng.choice(SIGNOFFS), who))
        if source == 1 and rng.random() < 0.12:
            parts.append(rng.choice(MOBILE_FOOTER))
        return "\n\n".join(parts)

    def resolution(self, kind: Kind, values: dict[str, str], agent_name: str) -> tuple[str, str, str]:
        """(public reply, private note, one-line summary) for one of the kind's fixes."""
        rng = self.rng
        cause, fix = rng.choice(kind.fixes)
        cause, fix = self.fill(cause, values), self.fill(fix, values)
        fix_user, cause_user = (text.replace("yourself", "themselves").replace("your ", "the user's ")
                                .replace("you ", "the user ").replace("you.", "the user.") for text in (fix, cause))
        reply_template = rng.choice(FIX_REPLIES)
        note_template = rng.choice([n for n in NOTES if "{Cause}" not in n] if not cause else NOTES)
        cause_sentence = f"The cause was {cause}. " if cause else ""
        names = {**values, "fix": fix, "agent": agent_name, "cause_sentence": cause_sentence,
                 "Fix": fix_user[:1].upper() + fix_user[1:], "Cause": cause_user[:1].upper() + cause_user[1:], "fix_user": fix_user}
        return self.fill(reply_template, names), self.fill(note_template, names), fix_user


class _Defaulting(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def add_leavers(data: SeedData, agent: Callable[[str, str, str, list[int], str], Obj], ago: Callable[[float], str]) -> None:
    """Deactivated agents who resolved tickets before they left (no group, ``active: false``)."""
    for first, last, group_name, left in LEAVERS:
        group = next(g for g in data.groups if g["name"] == group_name)
        skills = next(a for a in data.agents if a["id"] == group["members"][1])["custom_fields"]["skills"]
        obj = agent(first, last, f"{group_name} Engineer", [], skills)
        obj.update(active=False, last_login_at=ago(left), last_active_at=ago(left), updated_at=ago(left))
        obj["roles"] = []


def _specialists(data: SeedData) -> dict[tuple[str, str], list[tuple[int, float, float]]]:
    """For (group name, skill): agents in preference order, each with the window (days ago) they were there."""
    agents = {(a["first_name"], a["last_name"]): a for a in data.agents}
    moved = {agents[(f, last)]["id"]: (old, days) for f, last, old, days in MOVERS if (f, last) in agents}
    skills: dict[str, list[str]] = {}
    for kind in KINDS:
        for group in (kind.group, kind.alt_group):
            if group and kind.skill not in skills.setdefault(group, []):
                skills[group].append(kind.skill)
    ranking: dict[tuple[str, str], list[tuple[int, float, float]]] = {}
    for group in data.groups:
        name = group["name"]
        steady = [m for m in group["members"] if m not in moved]
        newcomers = [(m, moved[m][1], 0.0) for m in group["members"] if m in moved]
        before = [(agent_id, float(HISTORY_DAYS + 30), float(days)) for agent_id, (old, days) in moved.items() if old == name]
        left = [(agents[(f, last)]["id"], float(HISTORY_DAYS + 30), float(days)) for f, last, g, days in LEAVERS
                if g == name and (f, last) in agents]
        for index, skill in enumerate(skills.get(name, [])):
            turn = index % len(steady)
            order: list[tuple[int, float, float]] = [(m, float(HISTORY_DAYS + 30), 0.0) for m in steady[turn:] + steady[:turn]]
            if left and index % 2 == 0:
                order.insert(1, left[index // 2 % len(left)])
            ranking[(name, skill)] = order + before + newcomers
    return ranking


def _pick_agent(rng: random.Random, order: list[tuple[int, float, float]], days_ago: float) -> int:
    present = [agent_id for agent_id, since, until in order if until <= days_ago <= since]
    weights = list(SHARES[:len(present)])
    rest = len(present) - len(weights)
    if rest > 0:
        weights += [(1 - sum(SHARES)) / rest] * rest
    return rng.choices(present, weights=weights)[0]


def build_history(data: SeedData, now: datetime, seed: int, new_id: Callable[[str], int],
                  approvers: Callable[[Obj, Obj], list[int]], size: int = HISTORY_SIZE) -> None:
    """Append ``size`` resolved/closed tickets of the last year (ids after the existing ones)."""
    rng = random.Random(f"acme-history-{seed}")
    writer = _Writer(rng)
    groups = {g["name"]: g for g in data.groups}
    agents = {a["id"]: a for a in data.agents}
    departments = {d["id"]: d["name"] for d in data.departments}
    locations = {x["id"]: x["name"] for x in data.locations}
    ranking = _specialists(data)
    people = sorted((r for r in data.requesters if r["primary_email"].split("@")[0] not in DEMO_EMAILS),
                    key=lambda r: r["created_at"])
    joined = [r["created_at"] for r in people]
    by_department: dict[str, list[Obj]] = {}
    for person in people:
        by_department.setdefault(departments[person["department_ids"][0]], []).append(person)
    cumulative = list(itertools.accumulate(k.weight for k in KINDS))
    items = [i for i in data.service_items if i["visibility"] == 2 and i["name"] != "New software evaluation"]
    catalog_categories = {c["id"]: c["name"] for c in data.service_categories}
    outage_day = rng.uniform(150, 250)

    def requester(kind: Kind | None, created: datetime) -> Obj:
        stamp = _iso(created)
        if kind and kind.departments and rng.random() < 0.75:
            pool = [p for d in kind.departments for p in by_department.get(d, []) if p["created_at"] <= stamp]
            if pool:
                return rng.choice(pool)
        return people[rng.randrange(bisect.bisect_right(joined, stamp) or len(people))]

    def when(days_ago: float | None = None) -> datetime:
        while True:
            day = rng.uniform(0.2, HISTORY_DAYS) if days_ago is None else days_ago
            moment = now - timedelta(days=day)
            if moment.weekday() >= 5 and rng.random() < 0.8 and days_ago is None:
                continue
            hour = rng.choices(range(24), weights=[1, 1, 1, 1, 1, 2, 4, 10, 16, 18, 17, 15, 12, 15, 16, 15, 13, 10,
                                                   6, 4, 3, 2, 2, 1])[0]
            moment = moment.replace(hour=hour, minute=rng.randrange(60), second=rng.randrange(60))
            if moment < now - timedelta(hours=2):
                return moment

    for n in range(size):
        if n % 12 == 0:
            _catalog_request(data, rng, new_id, approvers, groups, agents, ranking, items, catalog_categories,
                             requester, when, now)
            continue
        outage = n % 120 == 1  # a GlobalProtect outage morning: the same fix for everyone
        kind = next(k for k in KINDS if k.key == "vpn_connect") if outage else rng.choices(KINDS, cum_weights=cumulative)[0]
        created = when(outage_day + rng.uniform(0, 0.08)) if outage else when()
        person = requester(kind, created)
        values: dict[str, str] = {"first": person["first_name"], "site": locations.get(person["location_id"], "London")}
        item = kind.item
        for slot, choices in kind.slots.items():
            picked = rng.choice(choices)
            values[slot] = picked[0] if isinstance(picked, tuple) else picked
            if slot == kind.item_slot and isinstance(picked, tuple):
                item = picked[1]
        urgency, impact, cues = kind.urgency, kind.impact, []
        roll = rng.random()
        if roll < 0.14:
            cues.append(rng.choice(URGENT_CUES))
            urgency = 3
        elif roll < 0.24 and kind.urgency < 3:
            cues.append(rng.choice(CALM_CUES))
            urgency = 1
        if outage or kind.key in SHARED_PROBLEMS and rng.random() < 0.3:
            cues.append(rng.choice(WIDE_CUES))
            impact = 3 if kind.impact >= 2 or outage else 2
        priority = PRIORITY[(urgency, impact)]
        if rng.random() < 0.05:  # agents override the matrix now and then
            priority = max(1, min(4, priority + rng.choice((-1, 1))))
        source = rng.choices([s for s, _ in SOURCES], weights=[w for _, w in SOURCES])[0]
        group_name = kind.alt_group if kind.alt_group and rng.random() < ALT_GROUP_SHARE else kind.group
        days_ago = (now - created).total_seconds() / 86400
        responder = _pick_agent(rng, ranking[(group_name, kind.skill)], days_ago)
        agent_name = agents[responder]["first_name"]
        subject = writer.subject(kind, values, urgency)
        description = writer.description(kind, values, person, source, cues)
        if outage:
            reply = (f"Hi {person['first_name']}, the VPN gateway certificate had expired this morning; we renewed it and "
                     f"GlobalProtect connects again. Sorry for the disruption.\n\n{agent_name}")
            note, summary = ("Resolution: part of the GlobalProtect gateway outage - expired gateway certificate renewed, "
                             "gateway services restarted."), "renewed the expired GlobalProtect gateway certificate"
        else:
            reply, note, summary = writer.resolution(kind, values, agent_name)
        category, sub = kind.category, kind.sub
        noise = rng.random()
        if noise < 0.025:
            category, sub, item = "Other", "General", "Other"
        elif noise < 0.04:
            category = sub = item = None
        elif rng.random() < 0.15:
            item = None
        ticket_type = kind.type if not (kind.type == "Service Request" and rng.random() < 0.1) else "Incident"
        lo, hi = kind.hours
        hours = lo * (hi / lo) ** rng.random() * {1: 1.6, 2: 1.0, 3: 0.6, 4: 0.3}[priority]
        _append(data, rng, new_id, person=person, subject=subject, description=description, kind_type=ticket_type,
                category=category, sub=sub, item=item, urgency=urgency, impact=impact, priority=priority, source=source,
                group=groups[group_name], responder=responder, created=created, hours=hours, now=now,
                reply=reply, note=note, summary=summary, tags=list(kind.tags) if rng.random() < 0.7 else [])


def _catalog_request(data: SeedData, rng: random.Random, new_id: Callable[[str], int],
                     approvers: Callable[[Obj, Obj], list[int]], groups: dict[str, Obj], agents: dict[int, Obj],
                     ranking: dict[tuple[str, str], list[tuple[int, float, float]]], items: list[Obj],
                     catalog_categories: dict[int, str], requester: Callable[[Kind | None, datetime], Obj],
                     when: Callable[[], datetime], now: datetime) -> None:
    """A service request placed through the catalog: requested item, approvals granted, fulfilled."""
    item = rng.choice(items)
    created = when()
    person = requester(None, created)
    while person["reporting_manager_id"] is None:  # the CEO's assistant orders for the CEO
        person = requester(None, created)
    group_name, category = CATALOG_ROUTES[catalog_categories[item["category_id"]]]
    sub, item_category = CATALOG_SUBS.get(item["name"], ("Licence", item["name"]))
    if item_category not in (CATEGORY_TREE[category].get(sub) or []):
        item_category = None
    skill = f"{category}/{sub}"
    order = ranking.get((group_name, skill)) or [(m, float(HISTORY_DAYS + 30), 0.0) for m in groups[group_name]["members"]]
    responder = _pick_agent(rng, order, (now - created).total_seconds() / 86400)
    first = person["first_name"]
    replies = CATALOG_FIXES["Hardware" if catalog_categories[item["category_id"]] == "Hardware" else "Other"]
    reply = rng.choice(replies).format(first=first, item=item["name"])
    note = f"Resolution: {item['name']} fulfilled for {first} {person['last_name']}."
    ticket = _append(data, rng, new_id, person=person, subject=f"Request for {first} {person['last_name']} : {item['name']}",
                     description="", kind_type="Service Request", category=category, sub=sub, item=item_category,
                     urgency=1, impact=1, priority=2, source=2, group=groups[group_name], responder=responder,
                     created=created, hours=float(item["delivery_time"] or 24) * rng.uniform(0.4, 1.3), now=now,
                     reply=reply, note=note, summary=f"fulfilled {item['name']}", tags=[])
    stamp = ticket["created_at"]
    answers: dict[str, Any] = {}
    for field in item["custom_fields"]:
        if field["required"]:
            kind = field["field_type"]
            answers[field["name"]] = (rng.choice(field["choices"])[1] if field["choices"] else True if kind == "custom_checkbox"
                                      else ticket["created_at"][:10] if kind == "custom_date" else 2 if kind == "custom_number"
                                      else "Needed for my role")
    data.requested_items[ticket["id"]] = [{
        "custom_fields": answers, "id": new_id("req_item"), "created_at": stamp, "updated_at": ticket["updated_at"],
        "quantity": 1, "stage": 4, "loaned": False, "cost_per_request": float(item["cost"]), "remarks": None,
        "delivery_time": item["delivery_time"], "is_parent": True, "service_item_id": item["display_id"],
        "attachments": []}]
    chain = [a for a in approvers(item, person) if a and a != person["id"]]
    if chain:
        names = {p["id"]: f"{p['first_name']} {p['last_name']}" for p in (*data.requesters, *data.agents) if p["id"] in chain}
        decided = _iso(min(_at(stamp) + timedelta(hours=rng.uniform(1, 20)), _at(ticket["updated_at"])))
        data.approvals[ticket["id"]] = [{
            "id": new_id("approval"), "created_at": stamp, "updated_at": decided, "approver_id": approver,
            "approver_name": names.get(approver, ""), "approval_type": 1, "user_id": person["id"], "level": level,
            "user_name": f"{first} {person['last_name']}", "approval_status": {"id": 1, "name": "approved"},
            "delegatee": None, "approval_group": None, "latest_remark": "Approved"}
            for level, approver in enumerate(dict.fromkeys(chain), 1)]
        ticket["approval_status"], ticket["approval_status_name"] = 1, "Approved"


def _append(data: SeedData, rng: random.Random, new_id: Callable[[str], int], *, person: Obj, subject: str,
            description: str, kind_type: str, category: str | None, sub: str | None, item: str | None, urgency: int,
            impact: int, priority: int, source: int, group: Obj, responder: int, created: datetime, hours: float,
            now: datetime, reply: str, note: str, summary: str, tags: list[str]) -> Obj:
    """One resolved/closed ticket in the wire shape of the seed, with its conversation."""
    latest = now - timedelta(minutes=30)
    first_response = created + timedelta(hours=min(hours * 0.5, rng.uniform(0.05, 3)))
    resolved = created + timedelta(hours=max(hours, 0.1))
    if resolved > latest:  # the clock must not run past now: it was reported earlier
        shift = resolved - latest + timedelta(minutes=rng.randint(5, 600))
        created, first_response, resolved = created - shift, first_response - shift, resolved - shift
    closed = resolved + timedelta(hours=rng.uniform(48, 80))
    status = 5 if closed <= latest else 4
    due = created + timedelta(hours={4: 4, 3: 8, 2: 24, 1: 72}[priority])
    first = person["first_name"]
    conversations: list[tuple[datetime, str, bool, bool, int]] = []  # when, text, private, incoming, user
    if rng.random() < 0.35:
        conversations.append((first_response, rng.choice(FIRST_REPLIES).format(first=first), False, False, responder))
        if rng.random() < 0.4:
            conversations.append((first_response + (resolved - first_response) / 3, rng.choice(REQUESTER_FOLLOWUPS),
                                  False, True, person["id"]))
    style = rng.random()
    if style < 0.75:
        conversations.append((resolved, reply, False, False, responder))
    if style > 0.45:
        conversations.append((resolved + timedelta(minutes=1), note, True, False, responder))
    if rng.random() < 0.3 and status == 5:
        conversations.append((resolved + timedelta(hours=rng.uniform(0.2, 20)), rng.choice(THANKS), False, True, person["id"]))
    last_activity = max([resolved] + [c[0] for c in conversations])
    updated = closed if status == 5 else last_activity
    ticket_id = len(data.tickets) + 1
    text = description
    ticket = {
        "cc_emails": [], "fwd_emails": [], "reply_cc_emails": [], "fr_escalated": first_response > due - timedelta(hours=2),
        "spam": False, "email_config_id": None, "group_id": group["id"], "priority": priority,
        "requester_id": person["id"], "requested_for_id": person["id"], "responder_id": responder, "source": source,
        "status": status, "subject": subject, "to_emails": None, "sla_policy_id": 21_000_990_100,
        "department_id": person["department_ids"][0], "id": ticket_id, "type": kind_type, "due_by": _iso(due),
        "fr_due_by": _iso(due - timedelta(hours=2)), "is_escalated": resolved > due,
        "description": "<div>" + html.escape(text).replace("\n", "<br>") + "</div>" if text else "",
        "description_text": text, "custom_fields": {}, "created_at": _iso(created), "updated_at": _iso(updated),
        "urgency": urgency, "impact": impact, "category": category, "sub_category": sub, "item_category": item,
        "deleted": False, "resolution_notes": None, "resolution_notes_html": None, "attachments": [],
        "workspace_id": data.workspace_id,
        "created_within_business_hours": created.weekday() < 5 and 8 <= created.hour < 18,
        "approval_status": None, "approval_status_name": "Not Requested", "tags": tags,
        "_stats": {"resolved_at": _iso(resolved), "closed_at": _iso(closed) if status == 5 else None,
                   "first_responded_at": _iso(first_response)},
    }
    if rng.random() < 0.3:  # the "resolution note" box of the resolve dialog
        ticket["resolution_notes"] = summary[:1].upper() + summary[1:] + "."
        ticket["resolution_notes_html"] = f"<div>{html.escape(ticket['resolution_notes'])}</div>"
    data.tickets.append(ticket)
    email = person["primary_email"]
    data.conversations[ticket_id] = [{
        "id": new_id("conversation"), "body": "<div>" + html.escape(body).replace("\n", "<br>") + "</div>",
        "body_text": body, "incoming": incoming, "private": private, "created_at": _iso(at), "updated_at": _iso(at),
        "user_id": user, "support_email": None, "source": 2 if private else 0, "ticket_id": ticket_id,
        "to_emails": [] if private or incoming else [email], "from_email": email if incoming else None,
        "cc_emails": [], "bcc_emails": None, "attachments": []}
        for at, body, private, incoming, user in sorted(conversations, key=lambda c: c[0])]
    return ticket
