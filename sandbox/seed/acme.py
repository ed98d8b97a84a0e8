"""Build the seeded company "Acme Corp" in Freshservice's wire shape (see ``model.py``).

Deterministic for a given ``seed`` and ``now``: a fixed ``random.Random`` drives every choice, and
times are offsets from ``now``. Fast (well under a second apart from rendering the 913 imported
articles), and built once per process by the sandbox.
"""

from __future__ import annotations

import html as htmllib
import json
import random
import re
import uuid
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

from markdown_it import MarkdownIt

from sandbox.seed.history import add_leavers, build_history
from sandbox.seed.history_kinds import CATEGORY_TREE
from sandbox.seed.model import Obj, SeedData
from sandbox.seed.org_articles import AGENT_ARTICLES, DRAFT_ARTICLES, ORG_ARTICLES

COMPANY_DOMAIN = "acme.example"
WORKSPACE_ID = 2
KB_FILE = Path(__file__).resolve().parents[1] / "data" / "officedocs-support.jsonl"
ATTRIBUTION = "Microsoft Corporation, MicrosoftDocs/OfficeDocs-Support, CC BY 4.0"

AGENT_ROLE, ADMIN_ROLE = 21_000_990_001, 21_000_990_002
# id spaces: large ints like real accounts (> 2**31), one block per kind
BASE = {"department": 21_000_100_000, "location": 21_000_200_000, "requester": 21_000_300_000,
        "agent": 21_000_400_000, "group": 21_000_500_000, "hours": 21_000_600_000, "sol_cat": 21_000_700_000,
        "folder": 21_000_710_000, "article": 21_000_720_000, "svc_cat": 21_000_800_000, "item": 21_000_810_000,
        "vendor": 21_000_900_000, "ctype": 21_000_910_000, "contract": 21_000_920_000, "app": 21_000_930_000,
        "app_user": 21_000_940_000, "install": 21_000_950_000, "asset_type": 21_000_960_000,
        "asset": 21_000_970_000, "conversation": 21_001_000_000, "approval": 21_001_100_000,
        "req_item": 21_001_200_000}

DEMO_EMPLOYEES: list[dict[str, str]] = [
    {"email": "alice.nguyen@acme.example", "name": "Alice Nguyen", "role": "Account Executive, Sales (has tickets)"},
    {"email": "bob.martin@acme.example", "name": "Bob Martin", "role": "Sales Manager, Alice's reporting manager"},
    {"email": "carol.diaz@acme.example", "name": "Carol Diaz", "role": "VP Sales, head of the Sales department"},
    {"email": "dan.okafor@acme.example", "name": "Dan Okafor", "role": "Software Engineer, Engineering"},
    {"email": "erin.walsh@acme.example", "name": "Erin Walsh", "role": "Financial Analyst, new joiner, no tickets"},
]

DEPARTMENTS = [
    ("Sales", "Carol", "Diaz"), ("Marketing", "Hannah", "Brooks"), ("Engineering", "Priya", "Raman"),
    ("Finance", "Tom", "Becker"), ("People", "Grace", "Liu"), ("Operations", "Omar", "Haddad"),
    ("Legal", "Isabel", "Costa"), ("IT", "Victor", "Petrov"),
]
LOCATIONS = [("London", "London", "United Kingdom", "London"),
             ("New York", "New York", "United States", "Eastern Time (US & Canada)"),
             ("Berlin", "Berlin", "Germany", "Berlin"), ("Bangalore", "Bengaluru", "India", "Chennai")]
FIRST = ["James", "Mary", "Luca", "Sofia", "Noah", "Mia", "Arjun", "Ananya", "Lukas", "Lena", "Ethan", "Zoe", "Mateo",
         "Chloe", "Yusuf", "Amara", "Kenji", "Aiko", "Liam", "Emma", "Rahul", "Isha", "Felix", "Clara", "Samuel", "Nora",
         "Daniel", "Eva", "Oliver", "Maya", "Hugo", "Ines", "Leo", "Julia", "Adam", "Sara", "Max", "Lea", "Ravi", "Meera"]
LAST = ["Smith", "Johnson", "Müller", "Schmidt", "Patel", "Sharma", "Rossi", "Garcia", "Kim", "Tanaka", "Brown", "Wilson",
        "Fischer", "Weber", "Iyer", "Reddy", "Novak", "Silva", "Clarke", "Evans", "Hughes", "Kaur", "Meyer", "Wagner",
        "Lopez", "Moreau", "Bauer", "Khan", "Nair", "Young", "King", "Wright", "Scott", "Green", "Baker", "Adams"]
TITLES = {"Sales": ["Account Executive", "Sales Development Rep", "Solutions Consultant"],
          "Marketing": ["Content Marketer", "Product Marketing Manager", "Designer"],
          "Engineering": ["Software Engineer", "Senior Software Engineer", "QA Engineer", "Data Engineer"],
          "Finance": ["Financial Analyst", "Accountant", "Payroll Specialist"],
          "People": ["HR Business Partner", "Recruiter", "People Ops Specialist"],
          "Operations": ["Operations Analyst", "Office Manager", "Procurement Specialist"],
          "Legal": ["Counsel", "Paralegal"], "IT": ["Systems Administrator", "IT Analyst"]}

GROUPS = [
    ("Service Desk", "First line: triage, passwords, how-to questions", "password reset, mfa, outlook, triage"),
    ("Desktop Support", "Laptops, peripherals, printers, meeting rooms", "laptop, printer, monitor, teams rooms, macos, windows"),
    ("Network", "VPN, Wi-Fi, office connectivity", "vpn, wifi, firewall, dns, globalprotect"),
    ("Identity & Access", "Accounts, groups, mailboxes, access requests", "active directory, entra id, mailbox, sharepoint access"),
    ("Software & Licensing", "Software requests, licences, installs", "licensing, adobe, microsoft 365, intune, procurement"),
    ("Security", "Incidents, phishing, device loss, admin rights", "phishing, incident response, edr, admin rights"),
]
AGENT_NAMES = [("Sam", "Taylor"), ("Riya", "Kapoor"), ("Jonas", "Berg"), ("Fatima", "Ali"), ("Marco", "Bianchi"),
               ("Elena", "Popova"), ("Kwame", "Mensah"), ("Laura", "Keller"), ("Nikhil", "Joshi"), ("Hana", "Sato"),
               ("Pedro", "Alves"), ("Olivia", "Grant"), ("Ahmed", "Saleh"), ("Julia", "Nowak"), ("Tariq", "Aziz"),
               ("Ingrid", "Lund"), ("Chen", "Wei"), ("Sophie", "Laurent"), ("David", "Cohen"), ("Anita", "Rao"),
               ("Ben", "Walker"), ("Marta", "Ruiz"), ("Kofi", "Owusu"), ("Lisa", "Hoffmann"), ("Ivan", "Horvat")]

APPLICATIONS: list[tuple[str, str, str, str, list[dict[str, Any]], int]] = [
    # name, type, category, publisher, licence contracts [{type, count, status, expired}], users/installs
    ("Adobe Acrobat Pro", "desktop", "Productivity", "Adobe", [{"type": "volume", "count": 50}], 37),
    ("Adobe Creative Cloud", "saas", "Design", "Adobe", [{"type": "volume", "count": 12}], 12),
    ("Figma", "saas", "Design", "Figma", [{"type": "volume", "count": 20}], 20),
    ("Slack", "saas", "Collaboration", "Salesforce", [{"type": "enterprise", "count": 1}], 240),
    ("Microsoft 365 E3", "saas", "Productivity", "Microsoft", [{"type": "enterprise", "count": 1}], 300),
    ("Microsoft Visio", "desktop", "Productivity", "Microsoft", [{"type": "volume", "count": 25}], 18),
    ("Microsoft Project", "desktop", "Productivity", "Microsoft", [{"type": "volume", "count": 10}], 10),
    ("JetBrains IntelliJ IDEA", "desktop", "Development", "JetBrains",
     [{"type": "volume", "count": 15, "expired": True}, {"type": "volume", "count": 30}], 24),
    ("JetBrains PyCharm", "desktop", "Development", "JetBrains", [{"type": "volume", "count": 20}], 20),
    ("Visual Studio Code", "desktop", "Development", "Microsoft", [{"type": "open_source", "count": 0}], 96),
    ("GitHub Enterprise", "saas", "Development", "GitHub", [{"type": "volume", "count": 120}], 88),
    ("Docker Desktop", "desktop", "Development", "Docker", [{"type": "volume", "count": 60}], 61),
    ("Postman", "saas", "Development", "Postman", [{"type": "volume", "count": 40}], 22),
    ("Jira Software", "saas", "Project management", "Atlassian", [{"type": "volume", "count": 150}], 131),
    ("Confluence", "saas", "Collaboration", "Atlassian", [{"type": "volume", "count": 150}], 150),
    ("Miro", "saas", "Collaboration", "Miro", [{"type": "volume", "count": 40}], 33),
    ("Zoom Pro", "saas", "Collaboration", "Zoom", [{"type": "volume", "count": 30}], 30),
    ("Salesforce Sales Cloud", "saas", "Sales", "Salesforce", [{"type": "volume", "count": 70}], 64),
    ("HubSpot Marketing Hub", "saas", "Marketing", "HubSpot", [{"type": "volume", "count": 15}], 11),
    ("Tableau Creator", "desktop", "Analytics", "Salesforce", [{"type": "volume", "count": 8}], 8),
    ("Power BI Pro", "saas", "Analytics", "Microsoft", [{"type": "volume", "count": 40}], 27),
    ("SAP Concur", "saas", "Finance", "SAP", [{"type": "enterprise", "count": 1}], 280),
    ("NetSuite", "saas", "Finance", "Oracle", [{"type": "volume", "count": 25}], 23),
    ("DocuSign", "saas", "Legal", "DocuSign", [{"type": "volume", "count": 20}], 14),
    ("Workday", "saas", "HR", "Workday", [{"type": "enterprise", "count": 1}], 300),
    ("Greenhouse", "saas", "HR", "Greenhouse", [{"type": "volume", "count": 12}], 12),
    ("1Password Business", "saas", "Security", "1Password", [{"type": "volume", "count": 300}], 262),
    ("CrowdStrike Falcon", "desktop", "Security", "CrowdStrike", [{"type": "volume", "count": 330}], 318),
    ("GlobalProtect", "desktop", "Network", "Palo Alto Networks", [{"type": "enterprise", "count": 1}], 305),
    ("Snagit", "desktop", "Productivity", "TechSmith", [{"type": "volume", "count": 10}], 6),
    ("Camtasia", "desktop", "Productivity", "TechSmith", [{"type": "volume", "count": 5}], 5),
    ("Sketch", "desktop", "Design", "Sketch", [{"type": "volume", "count": 6, "expired": True}], 3),
    ("Loom Business", "saas", "Collaboration", "Atlassian", [{"type": "trial", "count": 25}], 9),
    ("Notion", "saas", "Collaboration", "Notion Labs", [{"type": "free", "count": 0}], 44),
    ("Grammarly Business", "saas", "Productivity", "Grammarly", [{"type": "volume", "count": 30}], 29),
    ("AutoCAD LT", "desktop", "Design", "Autodesk", [{"type": "volume", "count": 3}], 2),
    ("Matlab", "desktop", "Analytics", "MathWorks", [{"type": "volume", "count": 4}], 5),
    ("7-Zip", "desktop", "Utilities", "Igor Pavlov", [], 140),
    ("Google Chrome", "desktop", "Utilities", "Google", [{"type": "free", "count": 0}], 290),
    ("Zoom Workplace Basic", "saas", "Collaboration", "Zoom", [], 70),
]

# Catalog: (category, name, cost, delivery hours, short description, fields, approval levels)
TEXT, PARA, DROP, CHECK, NUM, DATE = ("custom_text", "custom_paragraph", "custom_dropdown", "custom_checkbox",
                                      "custom_number", "custom_date")
JUSTIFY = ("Business justification", PARA, True, None)
MANAGER = [{"approver": "reporting_manager", "min_cost": None}]
MANAGER_AND_HEAD_OVER_500 = MANAGER + [{"approver": "department_head", "min_cost": 500.0}]
CATALOG_CATEGORIES = [("Hardware", "Laptops, monitors, phones and accessories"),
                      ("Software", "Licensed software and new software evaluations"),
                      ("Access", "Accounts, mailboxes, shared drives and permissions"),
                      ("Onboarding & Offboarding", "Starters, movers and leavers"),
                      ("Workplace", "Meeting rooms and office services")]


def _software_item(name: str, cost: str, extra: list[tuple[str, str, bool, list[str] | None]] | None = None) -> tuple:
    fields = [("Operating system", DROP, True, ["Windows", "macOS"]), JUSTIFY, *(extra or [])]
    return ("Software", name, cost, 48, f"A licence for {name}, installed through Company Portal.", fields,
            MANAGER_AND_HEAD_OVER_500)


CATALOG: list[tuple[str, str, str, int, str, list[tuple[str, str, bool, list[str] | None]], list[dict[str, Any]]]] = [
    ("Hardware", "New laptop", "1800.00", 72, "A standard or performance laptop outside the 3-year refresh.",
     [("Laptop model", DROP, True, ["Dell Latitude 7450", "MacBook Air 13", "MacBook Pro 14", "Dell Precision 5690"]),
      JUSTIFY, ("Keyboard layout", DROP, False, ["UK", "US", "German", "Indian"])],
     [{"approver": "reporting_manager", "min_cost": None}, {"approver": "department_head", "min_cost": 2000.0}]),
    ("Hardware", "Monitor", "320.00", 72, "27-inch 4K monitor with USB-C (up to two per person).",
     [("Delivery location", DROP, True, ["Office desk", "Home address"]), ("Notes for delivery", TEXT, False, None)], MANAGER),
    ("Hardware", "Docking station", "240.00", 72, "USB-C docking station for two monitors.",
     [("Delivery location", DROP, True, ["Office desk", "Home address"])], MANAGER),
    ("Hardware", "Headset", "180.00", 48, "Jabra Evolve2 65 wireless headset for calls.",
     [("Connection", DROP, True, ["USB-A", "USB-C"])], []),
    ("Hardware", "Mobile phone", "750.00", 120, "Company iPhone or Android phone with a data plan.",
     [("Model", DROP, True, ["iPhone 16", "Samsung Galaxy S25"]), ("Port my existing number", CHECK, False, None), JUSTIFY],
     MANAGER_AND_HEAD_OVER_500),
    ("Hardware", "Encrypted USB drive", "60.00", 48, "Hardware-encrypted 64 GB USB drive allowed to write.",
     [JUSTIFY], MANAGER),
    _software_item("Adobe Acrobat Pro", "240.00"),
    _software_item("Adobe Creative Cloud", "960.00", [("Apps needed", DROP, True, ["All apps", "Photoshop", "Illustrator", "InDesign"])]),
    _software_item("Microsoft Visio", "180.00"),
    _software_item("Microsoft Project", "360.00"),
    _software_item("Figma", "540.00", [("Seat type", DROP, True, ["Full editor", "Dev mode"])]),
    _software_item("JetBrains IntelliJ IDEA", "600.00"),
    _software_item("Zoom Pro", "180.00"),
    _software_item("Tableau Creator", "900.00"),
    ("Software", "New software evaluation", "0.00", 240, "Ask IT and Security to evaluate software that is not in the catalog.",
     [("Software name", TEXT, True, None), ("Vendor website", TEXT, False, None), ("Number of users", NUM, True, None),
      ("Will it process customer data", CHECK, False, None), JUSTIFY],
     MANAGER + [{"approver": "agent:security", "min_cost": None}]),
    ("Access", "Temporary admin rights", "0.00", 8, "Local administrator rights for up to 7 days.",
     [("Duration", DROP, True, ["1 day", "3 days", "7 days"]), JUSTIFY],
     MANAGER + [{"approver": "agent:security", "min_cost": None}]),
    ("Access", "Shared mailbox", "0.00", 24, "A shared mailbox with owners and members.",
     [("Mailbox name", TEXT, True, None), ("Owners", TEXT, True, None), ("Members", PARA, False, None)], MANAGER),
    ("Access", "Distribution list", "0.00", 24, "An email distribution list.",
     [("List name", TEXT, True, None), ("Include external addresses", CHECK, False, None)], MANAGER),
    ("Access", "Access to a shared drive", "0.00", 24, "Read or write access to a legacy S: drive folder.",
     [("Folder path", TEXT, True, None), ("Access level", DROP, True, ["Read", "Read and write"]), JUSTIFY], MANAGER),
    ("Access", "VPN access for a contractor", "0.00", 24, "GlobalProtect access for an external contractor.",
     [("Contractor email", TEXT, True, None), ("End date", DATE, True, None)],
     MANAGER + [{"approver": "agent:security", "min_cost": None}]),
    ("Onboarding & Offboarding", "New hire onboarding", "0.00", 120, "Accounts, laptop and access for a new starter.",
     [("New starter name", TEXT, True, None), ("Start date", DATE, True, None),
      ("Laptop model", DROP, True, ["Dell Latitude 7450", "MacBook Air 13", "MacBook Pro 14"]),
      ("Extra software", PARA, False, None)], []),
    ("Workplace", "Conference room setup", "0.00", 24, "AV setup for an event or all-hands in a meeting room.",
     [("Room", DROP, True, ["London - Thames", "London - Soho", "New York - Hudson", "Berlin - Spree", "Bangalore - Cubbon"]),
      ("Date", DATE, True, None), ("Needs recording", CHECK, False, None)], []),
    # Items with no form at all, as real catalogs have: a request is just quantity and requester.
    ("Hardware", "Wireless keyboard and mouse", "45.00", 48, "Logitech MK540 wireless keyboard and mouse set.", [], MANAGER),
    ("Hardware", "USB-C laptop charger", "65.00", 24, "Spare 65 W USB-C charger for your laptop (home or travel).", [],
     MANAGER),
    ("Hardware", "USB-C to HDMI adapter", "25.00", 24, "Connect your laptop to a TV or projector over HDMI.", [], MANAGER),
    ("Software", "Grammarly Business", "144.00", 24, "A Grammarly Business seat for writing in English.", [], MANAGER),
]

TICKET_TEMPLATES = [
    ("Cannot connect to VPN from home", "GlobalProtect says the gateway is not responding since this morning.", "Network", "VPN", "Network", ["vpn"]),
    ("Wi-Fi keeps dropping on 3rd floor", "ACME-Corp disconnects every few minutes near the kitchen.", "Network", "Wi-Fi", "Network", ["wifi"]),
    ("Outlook keeps asking for my password", "The prompt comes back every 10 minutes even after I type it.", "Email", "Outlook", "Service Desk", ["outlook"]),
    ("Locked out of my account", "Too many attempts, I cannot sign in to my laptop.", "Access", "Account", "Service Desk", ["password"]),
    ("New phone - need to move MFA", "I changed phones and Authenticator does not have my account.", "Access", "MFA", "Identity & Access", ["mfa"]),
    ("Laptop very slow after update", "Takes 10 minutes to start and fans are loud.", "Hardware", "Laptop", "Desktop Support", ["laptop"]),
    ("Printer on 2nd floor jammed", "Follow-Me printer near reception shows paper jam in tray 2.", "Hardware", "Printer", "Desktop Support", ["printer"]),
    ("Second monitor not detected", "Dock only shows one of my two monitors.", "Hardware", "Monitor", "Desktop Support", ["monitor"]),
    ("Excel crashes when opening large file", "Excel closes when I open the quarterly forecast workbook.", "Software", "Microsoft 365", "Software & Licensing", ["excel"]),
    ("Teams meeting room screen black", "Room Soho console is on but the screen stays black.", "Hardware", "Meeting room", "Desktop Support", ["teams"]),
    ("Suspicious email asking for invoice payment", "Got an email from 'CEO' asking to pay an invoice urgently.", "Other", "Security", "Security", ["phishing"]),
    ("Cannot access S: drive Finance folder", "Access denied on S:\\Finance\\FY26.", "Access", "Shared drive", "Identity & Access", ["access"]),
    ("Adobe Acrobat says no licence", "After signing in Acrobat shows trial expired.", "Software", "Licence", "Software & Licensing", ["adobe"]),
    ("OneDrive not syncing", "Red cross on OneDrive icon, files not uploading.", "Software", "Microsoft 365", "Service Desk", ["onedrive"]),
    ("Need help setting up email on phone", "Company Portal enrolment fails on my Android phone.", "Email", "Mobile", "Service Desk", ["mobile"]),
    ("Headset microphone not working in Teams", "Colleagues cannot hear me, the Jabra shows as connected.", "Hardware", "Headset", "Desktop Support", ["headset"]),
]


def _iso(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _snake(label: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", label.lower()).strip("_")


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


@lru_cache(maxsize=1)
def _imported_articles() -> tuple[tuple[str, str, str, str, str, str], ...]:
    """(source id, product, product area, title, html, plain text) for the 913 OfficeDocs articles."""
    md = MarkdownIt("commonmark")
    rows = []
    for line in KB_FILE.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        body = re.sub(r":::image.*?:::(?:image-end:::)?", "", record["body_markdown"], flags=re.S)
        body = "\n".join(row for row in body.splitlines() if not row.strip().startswith(":::"))
        body = re.sub(r"^# .*\n", "", body, count=1)  # the title is shown separately
        rendered = md.render(body)
        html = rendered + (f'<p class="attribution">Source: {ATTRIBUTION} '
                           f'(article <code>{record["id"]}</code>).</p>')
        text = re.sub(r"\n{3,}", "\n\n", htmllib.unescape(re.sub(r"<[^>]+>", "", rendered))).strip()
        rows.append((record["id"], record["product"], record["product_area"], record["title"], html, " " + text + " "))
    return tuple(rows)


class _Builder:
    def __init__(self, seed: int, now: datetime) -> None:
        self.rng = random.Random(seed)
        self.seed = seed
        self.now = now
        self.data = SeedData(workspace_id=WORKSPACE_ID, api_agent_id=BASE["agent"])
        self.counters: dict[str, int] = {}

    def id(self, kind: str) -> int:
        self.counters[kind] = self.counters.get(kind, 0) + 1
        return BASE[kind] + self.counters[kind]

    def ago(self, days: float, hours: float = 0) -> str:
        return _iso(self.now - timedelta(days=days, hours=hours))

    # -- organisation -----------------------------------------------------------------------------

    def organisation(self) -> None:
        d = self.data
        for name, city, country, _zone in LOCATIONS:
            d.locations.append({"id": self.id("location"), "name": name, "parent_location_id": None,
                                "primary_contact_id": None, "line1": f"1 {name} Square", "line2": None, "city": city,
                                "state": None, "country": country, "zipcode": None, "email": None, "phone": None,
                                "contact_name": None, "created_at": self.ago(900), "updated_at": self.ago(400)})
        for name, _, _ in DEPARTMENTS:
            d.departments.append({"id": self.id("department"), "name": name, "description": f"The {name} department",
                                  "head_user_id": None, "prime_user_id": None, "domains": [COMPANY_DOMAIN],
                                  "custom_fields": {}, "workspace_id": None, "created_at": self.ago(900),
                                  "updated_at": self.ago(300)})
        self.business_hours()

    def business_hours(self) -> None:
        day = {"beginning_of_workday": "8:00 am", "end_of_workday": "6:00 pm"}
        self.data.business_hours.append({
            "id": self.id("hours"), "name": "Acme IT Service Desk", "description": "Service Desk hours (London)",
            "is_default": True, "time_zone": "London",
            "service_desk_hours": {d: dict(day) for d in ("monday", "tuesday", "wednesday", "thursday", "friday")},
            "list_of_holidays": [{"holiday_date": f"{y}-{md}", "holiday_name": n} for y in (self.now.year, self.now.year + 1)
                                 for md, n in (("01-01", "New Year's Day"), ("12-25", "Christmas Day"), ("12-26", "Boxing Day"))],
            "created_at": self.ago(900), "updated_at": self.ago(100)})

    def person(self, first: str, last: str, department: Obj, title: str, manager: int | None, location: int) -> Obj:
        loc = next(x for x in self.data.locations if x["id"] == location)
        zone = next(z for n, _, _, z in LOCATIONS if n == loc["name"])
        email = f"{first.lower()}.{last.lower()}@{COMPANY_DOMAIN}".replace("ü", "u")
        taken = {r["primary_email"] for r in self.data.requesters}
        n = 2
        while email in taken:
            email = f"{first.lower()}.{last.lower()}{n}@{COMPANY_DOMAIN}".replace("ü", "u")
            n += 1
        created = self.ago(self.rng.randint(30, 1500))
        requester = {
            "id": self.id("requester"), "first_name": first, "last_name": last, "job_title": title,
            "primary_email": email, "secondary_emails": [], "work_phone_number": f"+44 20 7946 {self.rng.randint(1000, 9999)}",
            "mobile_phone_number": None, "department_ids": [department["id"]],
            "can_see_all_tickets_from_associated_departments": False, "reporting_manager_id": manager,
            "address": None, "time_zone": zone, "time_format": "24h" if zone != "Eastern Time (US & Canada)" else "12h",
            "language": "en", "location_id": location, "background_information": None, "custom_fields": {},
            "active": True, "has_logged_in": True, "is_agent": False, "external_id": None,
            "created_at": created, "updated_at": created,
        }
        self.data.requesters.append(requester)
        return requester

    def people(self) -> None:
        d, rng = self.data, self.rng
        depts = {x["name"]: x for x in d.departments}
        locs = [x["id"] for x in d.locations]
        ceo = self.person("Morgan", "Reyes", depts["Operations"], "Chief Executive Officer", None, locs[0])
        heads: dict[str, Obj] = {}
        for name, first, last in DEPARTMENTS:
            heads[name] = self.person(first, last, depts[name], f"Head of {name}" if name != "Sales" else "VP Sales",
                                      ceo["id"], locs[0])
            depts[name]["head_user_id"] = depts[name]["prime_user_id"] = heads[name]["id"]
        managers: dict[str, list[Obj]] = {}
        fixed = {"Sales": [("Bob", "Martin", "Sales Manager")], "Engineering": [("Lena", "Fischer", "Engineering Manager")],
                 "Finance": [("Sam", "Kowalski", "Finance Manager")]}
        for name, _, _ in DEPARTMENTS:
            team = [self.person(f, last, depts[name], t, heads[name]["id"], locs[0]) for f, last, t in fixed.get(name, [])]
            for _ in range(2 if name not in ("Legal", "IT") else 1):
                team.append(self.person(rng.choice(FIRST), rng.choice(LAST), depts[name], f"{name} Team Lead",
                                        heads[name]["id"], rng.choice(locs)))
            managers[name] = team
        bob, lena, sam = managers["Sales"][0], managers["Engineering"][0], managers["Finance"][0]
        self.person("Alice", "Nguyen", depts["Sales"], "Account Executive", bob["id"], locs[0])
        self.person("Dan", "Okafor", depts["Engineering"], "Software Engineer", lena["id"], locs[2])
        erin = self.person("Erin", "Walsh", depts["Finance"], "Financial Analyst", sam["id"], locs[0])
        erin["created_at"] = erin["updated_at"] = self.ago(3)
        weights = {"Sales": 60, "Marketing": 30, "Engineering": 80, "Finance": 25, "People": 20, "Operations": 30,
                   "Legal": 10, "IT": 12}
        names = list(weights)
        while len(d.requesters) < 300:
            dept = rng.choices(names, weights=[weights[n] for n in names])[0]
            self.person(rng.choice(FIRST), rng.choice(LAST), depts[dept], rng.choice(TITLES[dept]),
                        rng.choice(managers[dept])["id"], rng.choice(locs))

    def agents_and_groups(self) -> None:
        d = self.data
        stamp = self.ago(800)
        it = next(x for x in d.departments if x["name"] == "IT")

        def agent(first: str, last: str, title: str, groups: list[int], skills: str) -> Obj:
            obj = {"id": self.id("agent"), "first_name": first, "last_name": last, "occasional": False, "active": True,
                   "job_title": title, "email": f"{first.lower()}.{last.lower()}@{COMPANY_DOMAIN}",
                   "work_phone_number": None, "mobile_phone_number": None, "department_ids": [it["id"]],
                   "can_see_all_tickets_from_associated_departments": False, "reporting_manager_id": None,
                   "address": None, "time_zone": "London", "time_format": "24h", "language": "en",
                   "location_id": d.locations[0]["id"], "background_information": None, "scoreboard_level_id": 3,
                   "member_of": groups, "observer_of": [], "member_of_pending_approval": [],
                   "observer_of_pending_approval": [],
                   "roles": [{"role_id": AGENT_ROLE, "assignment_scope": "member_groups", "groups": []}],
                   "last_login_at": self.ago(1), "last_active_at": self.ago(0, 2), "custom_fields": {"skills": skills},
                   "has_logged_in": True, "workspace_ids": [WORKSPACE_ID], "api_key_enabled": False,
                   "created_at": stamp, "updated_at": stamp}
            d.agents.append(obj)
            return obj

        # Freshservice's default roles (GET /roles): role_type 1 = agent role, 2 = admin role.
        d.roles = [{"id": AGENT_ROLE, "name": "SD Agent", "description": "Works on tickets of their groups",
                    "default": True, "role_type": 1, "created_at": stamp, "updated_at": stamp},
                   {"id": ADMIN_ROLE, "name": "Account Admin", "description": "Administers the whole account",
                    "default": True, "role_type": 2, "created_at": stamp, "updated_at": stamp}]
        api = agent("Portal", "Copilot", "Integration agent (API key owner)", [], "")
        api["email"] = f"portal.copilot@{COMPANY_DOMAIN}"
        api["api_key_enabled"] = True
        d.api_agent_id = api["id"]
        hours = d.business_hours[0]["id"]
        group_ids = [self.id("group") for _ in GROUPS]
        names = iter(AGENT_NAMES)
        for index, (name, description, skills) in enumerate(GROUPS):
            members = []
            for n in range(4 if index < 5 else 5):
                first, last = next(names)
                members.append(agent(first, last, "Team Lead" if n == 0 else f"{name} Engineer", [group_ids[index]], skills)["id"])
            d.groups.append({"id": group_ids[index], "name": name, "description": description, "workspace_id": WORKSPACE_ID,
                             "unassigned_for": "30m", "business_hours_id": hours, "escalate_to": members[0],
                             "members": members, "observers": [], "leaders": [members[0]], "restricted": False,
                             "approval_required": False, "members_pending_approval": [], "observers_pending_approval": [],
                             "leaders_pending_approval": [], "auto_ticket_assign": index == 0,
                             "created_at": stamp, "updated_at": stamp})
        self.security_agent = d.groups[-1]["leaders"][0]
        lead = next(a for a in d.agents if a["id"] == d.groups[0]["leaders"][0])  # the service desk lead is the IT admin
        lead["roles"] = [{"role_id": ADMIN_ROLE, "assignment_scope": "entire_helpdesk", "groups": []}]
        add_leavers(d, agent, self.ago)

    def ticket_form(self) -> None:
        stamp = self.ago(900)

        def field(position: int, name: str, label: str, kind: str, choices: list[Obj], nested: list[Obj] | None = None) -> Obj:
            return {"id": 21_000_980_000 + position, "workspace_id": None, "created_at": stamp, "updated_at": stamp,
                    "name": name, "label": label, "description": None, "field_type": kind, "required": name == "requester",
                    "position": position, "default_field": True, "required_for_closure": False,
                    "required_for_agents": name in ("status", "priority"), "required_for_customers": False,
                    "customers_can_edit": name == "category", "displayed_to_customers": True,
                    "label_for_customers": label, "choices": choices, "nested_fields": nested or [], "sections": [],
                    "belongs_to_section": False}

        def level(name: str, label: str, number: int) -> Obj:
            return {"id": 21_000_980_100 + number, "name": name, "label": label, "label_in_portal": label,
                    "level": number, "field_id": 21_000_980_006, "created_at": stamp, "updated_at": stamp}

        # category -> sub_category -> item_category, as nested_options (reference §6.1, §6.8)
        tree = [{"id": 21_000_981_000 + i, "value": name,
                 "nested_options": [{"id": 21_000_982_000 + 100 * i + j, "value": sub,
                                     "nested_options": [{"id": 21_000_983_000 + 1000 * i + 100 * j + k, "value": item}
                                                        for k, item in enumerate(items)]}
                                    for j, (sub, items) in enumerate(subs.items())]}
                for i, (name, subs) in enumerate(CATEGORY_TREE.items())]
        self.data.ticket_form_fields = [
            field(1, "requester", "Requester", "default_requester", []),
            field(2, "subject", "Subject", "default_subject", []),
            field(3, "status", "Status", "default_status", [{"id": k, "value": v} for k, v in
                                                           ((2, "Open"), (3, "Pending"), (4, "Resolved"), (5, "Closed"), (6, "On Hold"))]),
            field(4, "priority", "Priority", "default_priority", [{"id": k, "value": v} for k, v in
                                                                 ((1, "Low"), (2, "Medium"), (3, "High"), (4, "Urgent"))]),
            field(5, "group", "Group", "default_group", [{"id": g["id"], "value": g["name"]} for g in self.data.groups]),
            field(6, "category", "Category", "default_category", tree,
                  [level("sub_category", "Sub-Category", 2), level("item_category", "Item", 3)]),
            field(7, "urgency", "Urgency", "default_urgency", [{"id": k, "value": v} for k, v in
                                                               ((1, "Low"), (2, "Medium"), (3, "High"))]),
            field(8, "impact", "Impact", "default_impact", [{"id": k, "value": v} for k, v in
                                                            ((1, "Low"), (2, "Medium"), (3, "High"))]),
            field(9, "ticket_type", "Type", "default_ticket_type", [{"id": k, "value": v} for k, v in
                                                                    ((1, "Incident"), (2, "Service Request"))]),
        ]

    # -- knowledge base ---------------------------------------------------------------------------

    def knowledge(self, imported: bool = True) -> None:
        d = self.data
        stamp = self.ago(700)
        categories: dict[str, Obj] = {}
        folders: dict[str, Obj] = {}

        def category(name: str, description: str) -> Obj:
            if name not in categories:
                categories[name] = {"id": self.id("sol_cat"), "name": name, "description": description,
                                    "position": len(categories) + 1, "default_category": False,
                                    "visible_in_portals": [1], "workspace_id": WORKSPACE_ID,
                                    "created_at": stamp, "updated_at": stamp}
                d.solution_categories.append(categories[name])
            return categories[name]

        def folder(name: str, parent: Obj, visibility: int = 1) -> Obj:
            if name not in folders:
                folders[name] = {"id": self.id("folder"), "name": name, "description": None, "category_id": parent["id"],
                                 "position": len(folders) + 1, "default_folder": False, "visibility": visibility,
                                 "department_ids": None, "group_ids": None, "requester_group_ids": None,
                                 "approval_settings": None, "manage_by_group_ids": [], "workspace_id": WORKSPACE_ID,
                                 "created_at": stamp, "updated_at": stamp}
                d.solution_folders.append(folders[name])
            return folders[name]

        def article(folder_obj: Obj, title: str, html: str, text: str, tags: list[str], keywords: list[str],
                    status: int, author: int, updated: str) -> None:
            d.solution_articles.append({
                "id": self.id("article"), "title": title, "description": html, "description_text": text,
                "status": status, "article_type": 1, "approval_status": None, "folder_id": folder_obj["id"],
                "category_id": folder_obj["category_id"], "position": len(d.solution_articles) + 1,
                "thumbs_up": self.rng.randint(0, 40), "thumbs_down": self.rng.randint(0, 5),
                "views": self.rng.randint(10, 2000), "inserted_into_tickets": self.rng.randint(0, 30),
                "agent_id": author, "modified_by": author, "modified_at": updated, "url": None, "review_date": None,
                "tags": tags, "keywords": keywords, "attachments": [], "approvals": [], "cloud_files": [],
                "workspace_id": WORKSPACE_ID, "created_at": stamp, "updated_at": updated})

        own = category("IT Policies & How-to", "Acme's own IT policies and step-by-step guides")
        author = d.groups[0]["leaders"][0]
        for folder_name, title, tags, html in ORG_ARTICLES:
            text = " " + re.sub(r"\s+\n", "\n", re.sub(r"<[^>]+>", " ", html)).strip() + " "
            article(folder(folder_name, own), title, html.strip(), re.sub(r"[ \t]+", " ", text), tags, tags, 2, author,
                    self.ago(self.rng.randint(5, 200)))
        for folder_name, title, tags, html in DRAFT_ARTICLES:
            article(folder(folder_name, own), title, html, re.sub(r"<[^>]+>", " ", html), tags, tags, 1, author, self.ago(2))
        internal = folder("Service Desk Internal", own, visibility=3)
        for _folder_name, title, tags, html in AGENT_ARTICLES:
            article(internal, title, html.strip(), re.sub(r"<[^>]+>", " ", html), tags, tags, 2, author, self.ago(30))
        for source_id, product, area, title, html, text in _imported_articles() if imported else ():
            parent = category(f"Microsoft {product}" if not product.startswith("Microsoft") else product,
                              f"Microsoft {product} troubleshooting ({ATTRIBUTION})")
            folder_name = area.replace("/", " / ")
            article(folder(folder_name, parent), title, html, text, [product.lower()], [source_id], 2, author,
                    self.ago(self.rng.randint(30, 400)))

    # -- catalog ------------------------------------------------------------------------------------

    def catalog(self) -> None:
        d, rng = self.data, self.rng
        stamp = self.ago(600)
        categories = {}
        for position, (name, description) in enumerate(CATALOG_CATEGORIES, 1):
            categories[name] = {"id": self.id("svc_cat"), "name": name, "description": description, "position": position,
                                "workspace_id": WORKSPACE_ID, "created_at": stamp, "updated_at": stamp}
            d.service_categories.append(categories[name])
        for display_id, (category, name, cost, hours, short, fields, rule) in enumerate(CATALOG, 1):
            item_id = self.id("item")
            form = []
            for position, (label, kind, required, choices) in enumerate(fields, 1):
                form.append({"created_at": stamp, "deleted": False, "description": None, "id": _uuid(rng), "label": label,
                             "name": _snake(label), "updated_at": stamp,
                             "field_options": {"displayed_to_requester": "true", "requester_can_edit": "true",
                                               "placeholder": None if kind != TEXT else label, "date_only": "true" if kind == DATE else None},
                             "visible_in_portal": True, "field_type": kind, "item_id": item_id, "position": position,
                             "required": required, "choices": [[c, c] for c in choices or []], "nested_fields": []})
            levels = [dict(level, approver=f"agent:{self.security_agent}" if level["approver"] == "agent:security"
                           else level["approver"]) for level in rule]
            d.service_items.append({
                "id": item_id, "created_at": stamp, "updated_at": stamp, "name": name, "delivery_time": hours,
                "display_id": display_id, "category_id": categories[category]["id"], "product_id": None, "quantity": None,
                "deleted": False, "icon_name": "service-catalog-services", "group_visibility": 1,
                "agent_group_visibility": 1, "item_type": 1, "ci_type_id": None, "visibility": 2, "workspace_id": WORKSPACE_ID,
                "cost_visibility": True, "delivery_time_visibility": True, "botified": False, "allow_attachments": True,
                "allow_quantity": category == "Hardware", "is_bundle": False, "create_child": False,
                "configs": {"attachment_mandatory": False, "subject": "Request for {{requested_for}} : {{item.name}}"},
                "description": f"<p>{short}</p>", "short_description": short, "desc_un_html": short, "cost": cost,
                "custom_fields": form, "child_items": [], "icon_url": None, "_approval_rule": levels})

    # -- software, contracts, assets -----------------------------------------------------------------

    def software(self) -> None:
        d, rng = self.data, self.rng
        stamp = self.ago(500)
        vendors: dict[str, int] = {}
        d.contract_types = [{"id": self.id("ctype"), "name": n, "needs_approval": False, "is_default": True}
                            for n in ("Lease", "Maintenance", "Software License", "Warranty")]
        licence_type = d.contract_types[2]["id"]
        people = [r["id"] for r in d.requesters]
        today = self.now.date()
        self.expected: dict[str, dict[str, Any]] = {}
        for name, kind, category, publisher, licences, usage in APPLICATIONS:
            if publisher not in vendors:
                vendors[publisher] = self.id("vendor")
                d.vendors.append({"id": vendors[publisher], "name": publisher, "description": None, "primary_contact_id": None,
                                  "created_at": stamp, "updated_at": stamp})
            app_id = self.id("app")
            contract_ids = []
            for licence in licences:
                expired = licence.get("expired", False)
                start = today - timedelta(days=700 if expired else rng.randint(30, 300))
                end = today - timedelta(days=10) if expired else today + timedelta(days=rng.randint(60, 400))
                contract_id = self.id("contract")
                contract_ids.append(contract_id)
                unit = {"volume": 240.0, "enterprise": 0.0}.get(licence["type"], 0.0)
                d.contracts.append({
                    "id": contract_id, "name": f"{name} licences {start.year}", "description": None,
                    "vendor_id": vendors[publisher], "auto_renew": not expired, "notify_expiry": True, "notify_before": 30,
                    "approver_id": None, "start_date": start.isoformat(), "end_date": end.isoformat(),
                    "cost": round(unit * licence["count"], 2), "status": "expired" if expired else "active",
                    "contract_number": f"CNTR-{contract_id % 10000}", "contract_type_id": licence_type,
                    "visible_to_id": None, "notify_to": [], "custom_fields": {}, "future_contract_id": None,
                    "has_associated_assets": False, "has_attachments": False, "expiry_notified": expired,
                    "requester_id": None, "delegatee_id": None, "created_at": stamp, "updated_at": stamp,
                    "workspace_id": WORKSPACE_ID, "software_id": app_id, "license_type": licence["type"],
                    "billing_cycle": "annual", "license_key": None,
                    "item_cost_details": [{"id": contract_id + 1, "item_name": f"{name} seat", "pricing_model": "per_unit",
                                           "cost": unit, "count": licence["count"], "comments": None,
                                           "created_at": stamp, "updated_at": stamp}],
                })
            users = rng.sample(people, min(usage, len(people)))
            users += rng.sample(people, usage - len(users))  # more installs than people: second machines
            active = [c for c, lic in zip(contract_ids, licences, strict=True) if not lic.get("expired")]
            d.application_users[app_id] = [{
                "id": self.id("app_user"), "created_at": stamp, "updated_at": stamp, "user_id": user,
                "license_id": active[0] if active else None, "allocated_date": stamp, "first_used": stamp,
                "last_used": self.ago(rng.randint(0, 60)), "source": "API"} for user in users] if kind == "saas" else []
            d.application_installations[app_id] = [{
                "id": self.id("install"), "created_at": stamp, "updated_at": stamp, "installation_path": f"C:\\Program Files\\{name}",
                "version": f"{rng.randint(1, 25)}.{rng.randint(0, 9)}", "installation_machine_id": None, "user_id": user,
                "department_id": None, "installation_date": stamp} for user in users] if kind == "desktop" else []
            d.applications.append({
                "user_count": usage if kind == "saas" else 0, "installation_count": usage if kind == "desktop" else 0,
                "id": app_id, "created_at": stamp, "updated_at": stamp, "name": name, "publisher_id": vendors[publisher],
                "description": f"{name} by {publisher}", "notes": None, "application_type": kind, "status": "managed",
                "managed_by_id": None, "category": category, "source": "API", "workspace_id": WORKSPACE_ID})
            kept = [lic for lic in licences if not lic.get("expired")]
            unlimited = any(lic["type"] in ("enterprise", "open_source", "free", "trial") for lic in kept)
            purchased = None if unlimited else sum(lic["count"] for lic in kept)
            self.expected[name] = {"unlimited": unlimited, "purchased": purchased, "used": usage,
                                   "available": None if purchased is None else purchased - usage}

    def assets(self) -> None:
        d, rng = self.data, self.rng
        stamp = self.ago(400)
        types = [("Laptop", 25), ("Monitor", 26), ("Mobile Phone", 27)]
        for name, _ in types:
            d.asset_types.append({"id": self.id("asset_type"), "name": name, "parent_asset_type_id": None, "visible": True,
                                  "description": None, "created_at": stamp, "updated_at": stamp})
        models = {"Laptop": ["Dell Latitude 7440", "MacBook Air 13", "MacBook Pro 14"], "Monitor": ["Dell U2723QE"],
                  "Mobile Phone": ["iPhone 15", "Samsung Galaxy S24"]}
        owners = rng.sample(d.requesters, 150)
        for display_id, owner in enumerate(owners, 1):
            kind = d.asset_types[0] if display_id <= 100 else d.asset_types[1 if display_id <= 125 else 2]
            t = kind["id"]
            product = rng.choice(models[kind["name"]])
            d.assets.append({
                "id": self.id("asset"), "display_id": display_id, "name": f"{product} - {owner['first_name']} {owner['last_name']}",
                "description": None, "asset_type_id": t, "asset_tag": f"ACME-{display_id:05d}", "impact": "low",
                "author_type": "User", "usage_type": "permanent", "user_id": owner["id"],
                "department_id": owner["department_ids"][0], "location_id": owner["location_id"], "agent_id": None,
                "group_id": None, "assigned_on": stamp, "workspace_id": WORKSPACE_ID, "created_at": stamp, "updated_at": stamp,
                "created_by_source": "User", "last_updated_by_source": "User", "created_by_user": None,
                "last_updated_by_user": None, "sources": ["User"], "end_of_life": None, "discovery_enabled": False,
                "type_fields": {f"product_{t}": product, f"vendor_{t}": product.split()[0], f"cost_{t}": 1400.0,
                                f"serial_number_{t}": f"SN{rng.getrandbits(40):010X}", f"asset_state_{t}": "In Use",
                                f"warranty_expiry_date_{t}": _iso(self.now + timedelta(days=rng.randint(30, 900))),
                                "salvage": None, "depreciation_id": None}})

    # -- tickets ------------------------------------------------------------------------------------

    def ticket(self, requester: Obj, subject: str, description: str, *, kind: str, status: int, priority: int,
               created_days: float, group: Obj | None, category: str | None, sub: str | None, tags: list[str]) -> Obj:
        created = self.now - timedelta(days=created_days, hours=self.rng.randint(0, 8))
        updated = min(self.now, created + timedelta(hours=self.rng.randint(1, 96)))
        responder = self.rng.choice(group["members"]) if group and status != 2 or (group and self.rng.random() < 0.5) else None
        due = created + timedelta(hours={4: 4, 3: 8, 2: 24, 1: 72}[priority])
        ticket = {
            "cc_emails": [], "fwd_emails": [], "reply_cc_emails": [], "fr_escalated": False, "spam": False,
            "email_config_id": None, "group_id": group["id"] if group else None, "priority": priority,
            "requester_id": requester["id"], "requested_for_id": requester["id"], "responder_id": responder,
            "source": self.rng.choice([1, 2, 2, 3, 4]), "status": status, "subject": subject, "to_emails": None,
            "sla_policy_id": 21_000_990_100, "department_id": requester["department_ids"][0],
            "id": len(self.data.tickets) + 1, "type": kind, "due_by": _iso(due), "fr_due_by": _iso(due - timedelta(hours=2)),
            "is_escalated": False, "description": f"<div>{description}</div>", "description_text": description,
            "custom_fields": {}, "created_at": _iso(created), "updated_at": _iso(updated),
            "urgency": min(3, max(1, priority - 1)), "impact": 1 if priority < 3 else 2, "category": category,
            "sub_category": sub, "item_category": None, "deleted": False, "resolution_notes": None,
            "resolution_notes_html": None, "attachments": [], "workspace_id": WORKSPACE_ID,
            "created_within_business_hours": created.weekday() < 5 and 8 <= created.hour < 18,
            "approval_status": None, "approval_status_name": "Not Requested", "tags": tags,
            "_stats": {"resolved_at": _iso(updated) if status in (4, 5) else None,
                       "closed_at": _iso(updated) if status == 5 else None,
                       "first_responded_at": _iso(created + timedelta(hours=1)) if responder else None},
        }
        self.data.tickets.append(ticket)
        self.conversations(ticket, requester)
        return ticket

    def conversations(self, ticket: Obj, requester: Obj) -> None:
        if ticket["responder_id"] is None:
            return
        stamp = ticket["updated_at"]
        replies = [("Thanks for reporting this. I'm looking into it now.", False, False, ticket["responder_id"]),
                   ("Checked the logs: looks related to last week's change, testing a fix.", True, False, ticket["responder_id"])]
        if ticket["status"] in (3, 4, 5):
            replies.append(("Could you try again now and let me know if it works?", False, False, ticket["responder_id"]))
        if ticket["status"] in (4, 5):
            replies.append(("Works now, thank you!", False, True, requester["id"]))
        self.data.conversations[ticket["id"]] = [{
            "id": self.id("conversation"), "body": f"<div>{text}</div>", "body_text": text, "incoming": incoming,
            "private": private, "created_at": stamp, "updated_at": stamp, "user_id": user, "support_email": None,
            "source": 2 if private else 0, "ticket_id": ticket["id"], "to_emails": [], "from_email": None,
            "cc_emails": [], "bcc_emails": None, "attachments": []} for text, private, incoming, user in replies]

    def service_request(self, requester: Obj, item: Obj, *, created_days: float, approvals: list[int], status: int) -> Obj:
        """An SR as place_request + workflow left it; ``approvals`` = decided statuses per level (0 pending)."""
        group = next(g for g in self.data.groups if g["name"] == ("Software & Licensing" if item["category_id"] ==
                                                                  self.data.service_categories[1]["id"] else "Desktop Support"))
        ticket = self.ticket(requester, f"Request for {requester['first_name']} {requester['last_name']} : {item['name']}", "",
                             kind="Service Request", status=status, priority=2, created_days=created_days, group=group,
                             category=None, sub=None, tags=[])
        ticket["description_text"], ticket["description"] = "", ""
        answers = {}
        for f in item["custom_fields"]:
            if f["required"]:
                answers[f["name"]] = f["choices"][0][1] if f["choices"] else (True if f["field_type"] == CHECK else
                                                                              "2026-12-01" if f["field_type"] == DATE else
                                                                              3 if f["field_type"] == NUM else "Needed for my work")
        stamp = ticket["created_at"]
        stage = 3 if 2 in approvals else (4 if status in (4, 5) else 1)
        self.data.requested_items[ticket["id"]] = [{
            "custom_fields": answers, "id": self.id("req_item"), "created_at": stamp, "updated_at": stamp, "quantity": 1,
            "stage": stage, "loaned": False, "cost_per_request": float(item["cost"]), "remarks": None,
            "delivery_time": item["delivery_time"], "is_parent": True, "service_item_id": item["display_id"],
            "attachments": []}]
        chain = [self._approver(level["approver"], requester) for level in item["_approval_rule"]]
        chain = [c for c in chain if c and c != requester["id"]][: max(1, len(approvals))]
        ticket["_approval_chain"] = chain
        records = []
        for level, (approver, decided) in enumerate(zip(chain, approvals, strict=False), 1):
            names = {0: "requested", 1: "approved", 2: "rejected"}
            records.append({"id": self.id("approval"), "created_at": stamp, "updated_at": stamp, "approver_id": approver,
                            "approver_name": self._name(approver), "approval_type": 1, "user_id": requester["id"],
                            "level": level, "user_name": self._name(requester["id"]),
                            "approval_status": {"id": decided, "name": names[decided]}, "delegatee": None,
                            "approval_group": None, "latest_remark": "Approved" if decided == 1 else None})
        if records:
            self.data.approvals[ticket["id"]] = records
            last = records[-1]["approval_status"]["id"]
            ticket["approval_status"] = last
            ticket["approval_status_name"] = {0: "Requested", 1: "Approved", 2: "Rejected"}[last]
            if last == 2:
                ticket["status"] = 5
        return ticket

    def _approver(self, rule: str, requester: Obj) -> int | None:
        if rule == "reporting_manager":
            return requester.get("reporting_manager_id")
        if rule == "department_head":
            return next(d["head_user_id"] for d in self.data.departments if d["id"] == requester["department_ids"][0])
        return int(rule.split(":")[1]) if rule.startswith("agent:") else None

    def _name(self, person_id: int) -> str:
        for person in (*self.data.requesters, *self.data.agents):
            if person["id"] == person_id:
                return f"{person['first_name']} {person['last_name']}"
        return ""

    def tickets(self) -> None:
        d, rng = self.data, self.rng
        groups = {g["name"]: g for g in d.groups}
        by_email = {r["primary_email"]: r for r in d.requesters}
        items = {i["name"]: i for i in d.service_items}
        alice, dan = by_email["alice.nguyen@acme.example"], by_email["dan.okafor@acme.example"]
        # Alice's story: an open incident, a pending SR, a resolved incident, an older closed one.
        t = TICKET_TEMPLATES
        self.ticket(alice, t[0][0], t[0][1], kind="Incident", status=2, priority=3, created_days=1, group=groups["Network"],
                    category="Network", sub="VPN", tags=["vpn"])
        self.service_request(alice, items["Monitor"], created_days=2, approvals=[0], status=2)
        self.ticket(alice, t[2][0], t[2][1], kind="Incident", status=4, priority=2, created_days=9,
                    group=groups["Service Desk"], category="Email", sub="Outlook", tags=["outlook"])
        self.ticket(alice, t[6][0], t[6][1], kind="Incident", status=5, priority=1, created_days=70,
                    group=groups["Desktop Support"], category="Hardware", sub="Printer", tags=["printer"])
        self.service_request(alice, items["Headset"], created_days=40, approvals=[], status=5)
        self.ticket(dan, t[5][0], t[5][1], kind="Incident", status=3, priority=2, created_days=4,
                    group=groups["Desktop Support"], category="Hardware", sub="Laptop", tags=["laptop"])
        self.service_request(dan, items["JetBrains IntelliJ IDEA"], created_days=6, approvals=[1, 0], status=2)
        people = [r for r in d.requesters if r["primary_email"] not in ("erin.walsh@acme.example",)]
        software_items = [i for i in d.service_items if i["_approval_rule"]]
        while len(d.tickets) < 300:
            requester = rng.choice(people)
            age = rng.triangular(0, 120, 10)
            if rng.random() < 0.25:
                outcome = rng.choice([[0], [1], [1, 0], [1, 1], [2]])
                status = 2 if outcome[-1] == 0 else rng.choice([2, 4, 5])
                self.service_request(requester, rng.choice(software_items), created_days=age, approvals=outcome, status=status)
                continue
            subject, description, category, sub, group, tags = rng.choice(TICKET_TEMPLATES)
            status = rng.choices([2, 3, 4, 5, 6], weights=[15, 8, 20, 50, 3])[0] if age > 3 else rng.choice([2, 2, 3])
            priority = rng.choices([1, 2, 3, 4], weights=[30, 45, 20, 5])[0]
            unassigned = status == 2 and rng.random() < 0.4
            self.ticket(requester, subject, description, kind="Incident", status=status, priority=priority,
                        created_days=age, group=None if unassigned else groups[group], category=category, sub=sub, tags=tags)

    def history(self) -> None:
        """A year of resolved and closed tickets to learn triage from (``history.py``)."""

        def approvers(item: Obj, requester: Obj) -> list[int]:
            levels = [lv for lv in item["_approval_rule"] if lv["min_cost"] is None or float(item["cost"]) >= lv["min_cost"]]
            return [a for a in (self._approver(lv["approver"], requester) for lv in levels) if a]

        build_history(self.data, self.now, self.seed, self.id, approvers)


def build_seed(seed: int = 42, now: datetime | None = None, *, imported_articles: bool = True) -> SeedData:
    """The whole company, deterministic for ``seed`` and ``now`` (default: the current second).

    ``imported_articles=False`` leaves out the 913 Microsoft articles (fast knowledge tests)."""
    now = (now or datetime.now(UTC)).replace(microsecond=0)
    builder = _Builder(seed, now)
    builder.organisation()
    builder.people()
    builder.agents_and_groups()
    builder.ticket_form()
    builder.knowledge(imported_articles)
    builder.catalog()
    builder.software()
    builder.assets()
    builder.tickets()
    builder.history()
    return builder.data


def expected_seats(seed: int = 42) -> dict[str, dict[str, Any]]:
    builder = _Builder(seed, datetime.now(UTC))
    builder.organisation()
    builder.people()
    builder.software()
    return builder.expected


EXPECTED_SEATS = expected_seats()
