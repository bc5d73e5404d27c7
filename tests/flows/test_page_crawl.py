"""Every page a demo user can reach by following links opens, in Chinese and in English.

The demo (a small one) is loaded once for the module. For each named demo user and each language a
browser-less crawler signs in with the test client and walks the internal links reachable from the home
page, breadth-first, GET only: ``<a href>``, ``hx-get`` and GET forms. URLs are deduplicated by their
pattern (numbers in the path and query values folded), so pagination and filters do not make it
explode, and one download per kind is enough. It asserts what a user would notice: no server error
anywhere, no link that leads to a refusal or a missing page, no template syntax or unfilled
placeholder in a page, HTML that parses, and that requesters are turned away from every staff page.
The JSON API lists (GET operations without path parameters in the OpenAPI document) answer without a
server error for every role.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit

import pytest
from django.db import transaction
from django.test import Client, override_settings

from opsdesk.demo.loader import LoadReport, load_demo
from opsdesk.demo.seed import DEMO_PASSWORD, NAMED_USERS

SMALL = 40
MAX_PAGES = 300
LANGUAGES = ("zh-hans", "en")
# The demo's named users and the configuration manager (the role that imports sheets and defines CI classes).
USERS = (*NAMED_USERS, "config_manager")
REQUESTERS = ("requester", "requester2")

# Never followed: they change state (sign out, language) even on GET, or are not pages.
SKIP_PATH = re.compile(r"^/(accounts/sign-out/|i18n/setlang/|static/|api/)")
DOWNLOAD = re.compile(r"(\.xlsx|\.csv|/attachments/\d+/|/file/)$")
# What a rendered page must never show: template syntax that was not interpreted, a python-format
# placeholder a translation did not fill.
LEAKS = re.compile(r"\{\{|\}\}|\{%|%\}|%\([a-z_]+\)[sd]")

# Staff pages a requester must not open (403 or 404; a redirect to the portal also turns them away).
STAFF_PAGES = (
    "/incidents/", "/incidents/new/", "/catalogue/", "/catalogue/services/", "/catalogue/routing/",
    "/catalogue/priority/", "/catalogue/nodes/new/", "/calendars/", "/calendars/new/", "/slas/", "/slas/new/",
    "/cmdb/", "/cmdb/cis/new/", "/cmdb/classes/", "/cmdb/warranties/", "/cmdb/maps/operation/",
    "/cmdb/maps/application/", "/cmdb/import/", "/cmdb/export.xlsx", "/reports/", "/reports/man-hours/",
    "/reports/sla/", "/reports/man-hours/export.xlsx", "/reports/sla/export.xlsx", "/accounts/staff-levels/",
    "/notifications/outbox/",
)

# Query keys with a few values each (queues, states, groupings): every value is a page of its own.
ENUM_KEYS = frozenset({"queue", "state", "show", "scope", "group_by"})
# Record pages look different in each state: open a few of each shape, not just the first one.
SAMPLES = {"/incidents/#/": 5, "/portal/records/#/": 3, "/cmdb/cis/#/": 2}

# The SLA "How is this counted?" link: htmx swaps its fragment into the record, its href opens a whole page.
SLA_EXPLANATION = re.compile(r"^/incidents/[^/]+/sla/explain/$")

FAST_HASHER = override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"])


@pytest.fixture(scope="module")
def demo(django_db_setup: None, django_db_blocker) -> Iterator[LoadReport]:
    """The demo loaded once for this module, rolled back after it."""
    with FAST_HASHER, django_db_blocker.unblock(), transaction.atomic():
        yield load_demo(incidents=SMALL)
        transaction.set_rollback(True)


class _Page(HTMLParser):
    """Collects the GET links of a page and the tags left open or closed without being opened."""

    VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
                      "track", "wbr", "param"})
    # Closed implicitly by the HTML rules: their end tags are optional.
    OPTIONAL_END = frozenset({"p", "li", "dt", "dd", "option", "optgroup", "tr", "td", "th", "thead", "tbody",
                              "tfoot", "colgroup", "caption", "rt", "rp", "html", "head", "body"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []
        self.page_links: set[str] = set()  # <a href>: opened as a page of its own (new tab, no script)
        self.stack: list[str] = []
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag == "a" and values.get("href"):
            self.links.append(values["href"])
            self.page_links.add(values["href"])
        if values.get("hx-get"):
            self.links.append(values["hx-get"])
        if tag == "form" and values.get("method", "get").lower() == "get" and "action" in values:
            self.links.append(values["action"])
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in self.VOID and self.stack and self.stack[-1] == tag:
            self.stack.pop()

    def handle_endtag(self, tag: str) -> None:
        if tag in self.VOID:
            return
        if tag not in self.stack:
            self.problems.append(f"</{tag}> closes nothing (open: {'>'.join(self.stack[-4:])})")
            return
        while self.stack:
            top = self.stack.pop()
            if top == tag:
                return
            if top not in self.OPTIONAL_END:
                self.problems.append(f"<{top}> is not closed before </{tag}>")

    def finish(self) -> list[str]:
        self.close()
        left = [tag for tag in self.stack if tag not in self.OPTIONAL_END]
        if left:
            self.problems.append(f"left open at the end: {left}")
        return self.problems


def _pattern(url: str) -> str:
    """A URL's shape: numbers and record numbers folded, query values dropped (downloads: path only)."""
    parts = urlsplit(url)
    path = re.sub(r"/(INC|MI)?\d+(?=/|$|\.)", "/#", parts.path)
    path = re.sub(r"/\d{4}-\d{2}-\d{2}(?=/)", "/<day>", path)
    if DOWNLOAD.search(parts.path):
        return path
    keys = sorted({key if key not in ENUM_KEYS else f"{key}={value}"
                   for key, value in parse_qsl(parts.query, keep_blank_values=True)} - {"cursor", "page"})
    return f"{path}?{'&'.join(keys)}"


@dataclass
class Crawl:
    pages: dict[str, int] = field(default_factory=dict)  # url → status
    failures: list[str] = field(default_factory=list)


def _target(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _crawl(client: Client, language: str) -> Crawl:
    crawl = Crawl()
    seen: dict[str, int] = {}  # pattern → URLs of that shape queued
    queued = {"/"}
    queue: deque[tuple[str, str]] = deque([("/", "start")])
    whole_pages = {"/"}  # URLs some page links to with <a href>: they must answer a whole page
    while queue and len(crawl.pages) < MAX_PAGES:
        url, source = queue.popleft()
        response = client.get(url, headers={"accept-language": language})
        crawl.pages[url] = response.status_code
        where = f"{url} (linked from {source})"
        if response.status_code >= 500:
            crawl.failures.append(f"{response.status_code} {where}")
            continue
        if response.status_code in {301, 302, 303, 307, 308}:
            target = urljoin(url, response["Location"])
            if urlsplit(target).netloc in {"", "testserver"} and "/accounts/sign-in/" in target:
                crawl.failures.append(f"{response.status_code} to the sign-in page: {where}")
            links = [target]
        elif response.status_code != 200:
            crawl.failures.append(f"{response.status_code} {where}")
            continue
        elif not response.get("Content-Type", "").startswith("text/html"):
            continue
        else:
            text = response.content.decode()
            if url in whole_pages and "<html" not in text:
                crawl.failures.append(f"{where}: a link opens a page fragment without the layout")
            for leak in LEAKS.finditer(text):
                crawl.failures.append(f"{where}: shows {text[max(0, leak.start() - 60):leak.end() + 60]!r}")
            page = _Page()
            page.feed(text)
            crawl.failures.extend(f"{where}: {problem}" for problem in page.finish())
            links = [urljoin(url, link) for link in page.links]
            whole_pages.update(_target(urljoin(url, link)) for link in page.page_links)
        for link in links:
            parts = urlsplit(link)
            if parts.scheme not in {"http", "https", ""} or parts.netloc not in {"", "testserver"}:
                continue
            if SKIP_PATH.match(parts.path):
                continue
            target = _target(link)
            shape = _pattern(target)
            if target not in queued and seen.get(shape, 0) < SAMPLES.get(shape.rstrip("?"), 1):
                seen[shape] = seen.get(shape, 0) + 1
                queued.add(target)
                queue.append((target, url))
    return crawl


def _signed_in(username: str, language: str) -> Client:
    client = Client()
    client.cookies["django_language"] = language
    response = client.post("/accounts/sign-in/", {"username": username, "password": DEMO_PASSWORD})
    assert response.status_code == 302, f"{username} cannot sign in: {response.status_code}"
    return client


pytestmark = pytest.mark.usefixtures("demo")


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("username", USERS)
def test_every_page_reachable_from_home_opens(db, username: str, language: str) -> None:
    client = _signed_in(username, language)
    crawl = _crawl(client, language)
    assert len(crawl.pages) > 3, crawl.pages
    assert not crawl.failures, "\n".join(crawl.failures)
    if username in REQUESTERS:
        reached = [url for url in crawl.pages if urlsplit(url).path in STAFF_PAGES]
        assert not reached, f"a requester's pages link to staff pages: {reached}"


@pytest.mark.parametrize("username", ["l2", "auditor"])
def test_cmdb_pages_only_link_to_what_the_user_may_open(db, username: str) -> None:
    client = _signed_in(username, "en")
    refused = {}
    for url in ("/cmdb/", "/cmdb/classes/"):
        page = _Page()
        page.feed(client.get(url).content.decode())
        for link in page.links:
            if urlsplit(link).path.startswith("/cmdb/") and client.get(link).status_code == 403:
                refused[link] = url
    class_page = _Page()
    class_page.feed(client.get("/cmdb/classes/1/").content.decode())
    for link in class_page.links:
        if urlsplit(link).path.startswith("/cmdb/") and client.get(link).status_code == 403:
            refused[link] = "/cmdb/classes/1/"
    assert not refused, refused


@pytest.mark.parametrize("username", REQUESTERS)
def test_a_requester_is_turned_away_from_every_staff_page(db, username: str) -> None:
    client = _signed_in(username, "en")
    opened = {}
    for page in STAFF_PAGES:
        response = client.get(page, follow=True)  # /reports/ first redirects to a report
        if response.status_code not in {403, 404} and "/portal/" not in response.request["PATH_INFO"]:
            opened[page] = response.status_code
    assert not opened, f"{username} opens staff pages: {opened}"


def _list_operations(client: Client) -> list[str]:
    schema = client.get("/api/v1/openapi.json").json()
    return sorted(path for path, operations in schema["paths"].items() if "get" in operations and "{" not in path)


@pytest.mark.parametrize("username", USERS)
def test_every_api_list_answers_without_a_server_error(db, username: str) -> None:
    client = _signed_in(username, "en")
    paths = _list_operations(client)
    assert "/api/v1/incidents" in paths, paths
    failures = []
    for path in paths:
        response = client.get(path, headers={"accept-language": "zh-hans"})
        if response.status_code >= 500:
            failures.append(f"{response.status_code} {path}")
        elif response.status_code == 200 and response.get("Content-Type", "").startswith("application/json"):
            body = response.json()
            if isinstance(body, dict) and "items" in body and body.get("next_cursor"):
                following = client.get(f"{path}?{urlencode({'cursor': body['next_cursor']})}")
                if following.status_code >= 500:
                    failures.append(f"{following.status_code} {path} (next page)")
    assert not failures, "\n".join(failures)


def test_the_sla_explanation_link_opens_a_whole_page(db) -> None:
    client = _signed_in("desk", "en")
    queue = _Page()
    queue.feed(client.get("/incidents/").content.decode())
    record = next(link for link in queue.page_links if re.fullmatch(r"/incidents/INC\d+/", link))
    detail = _Page()
    detail.feed(client.get(record).content.decode())
    explain = next(link for link in detail.page_links if SLA_EXPLANATION.match(link))
    assert "<html" in client.get(explain).content.decode()
