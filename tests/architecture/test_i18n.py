"""Simplified Chinese first: the one zh_Hans catalogue is complete, well-formed and compiled, and the pages speak it.

The catalogue is ``src/opsdesk/locale/zh_Hans/LC_MESSAGES/django.po`` with its compiled ``django.mo``
beside it; ``scripts/i18n`` refreshes both from the source. When one of these tests fails after a
change: run ``scripts/i18n``, translate the new or fuzzy entries, run it again, commit .po and .mo.
"""

from __future__ import annotations

import ast
import gettext
import re
import shutil
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from opsdesk.incidents import services

SRC = Path(__file__).resolve().parents[2] / "src" / "opsdesk"
LOCALE = SRC / "locale"
ZH_PO = LOCALE / "zh_Hans" / "LC_MESSAGES" / "django.po"
ZH_MO = ZH_PO.with_suffix(".mo")
EN_PO = LOCALE / "en" / "LC_MESSAGES" / "django.po"
FIX = "run scripts/i18n, translate, run it again and commit the .po and .mo"
# What scripts/i18n leaves out of the extraction, besides what is never copied (static, migrations).
IGNORE = [".venv", "var", "bench", "tests", "static/vendor/*", "*/static/vendor/*", "*/migrations/*"]


# A tiny .po reader --------------------------------------------------------------------------------

@dataclass(frozen=True)
class Entry:
    context: str | None
    msgid: str
    msgid_plural: str | None
    msgstr: tuple[str, ...]
    flags: frozenset[str]
    line: int

    @property
    def key(self) -> tuple[str | None, str, str | None]:
        return (self.context, self.msgid, self.msgid_plural)

    @property
    def label(self) -> str:
        context = f"[{self.context}] " if self.context else ""
        return f"line {self.line}: {context}{self.msgid!r}"

    @property
    def translated(self) -> bool:
        return bool(self.msgstr) and all(self.msgstr)


def read_po(path: Path) -> list[Entry]:
    """The entries of a .po file (obsolete ``#~`` entries and the header left out)."""
    entries: list[Entry] = []
    fields: dict[str, str] = {}
    flags: set[str] = set()
    start, current = 0, ""

    def flush() -> None:
        if fields.get("msgid"):
            msgstr = tuple(fields[k] for k in sorted(k for k in fields if k.startswith("msgstr")))
            entries.append(Entry(fields.get("msgctxt"), fields["msgid"], fields.get("msgid_plural"),
                                 msgstr, frozenset(flags), start))
        fields.clear()
        flags.clear()

    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#~"):
            continue
        if line.startswith('"'):
            fields[current] += ast.literal_eval(line)
            continue
        keyword, _, text = line.partition(" ")
        starts_entry = line.startswith("#") or keyword in ("msgctxt", "msgid")
        if starts_entry and any(k.startswith("msgstr") for k in fields):
            flush()
        if line.startswith("#,"):
            flags.update(flag.strip() for flag in line[2:].split(","))
        if line.startswith("#"):
            continue
        if not fields:
            start = number
        current = keyword
        fields[current] = ast.literal_eval(text)
    flush()
    return entries


# Placeholders: %(name)s, %(size).1f, %d, %% and {name}; python-format ones only where xgettext saw them.
PRINTF = re.compile(r"%(?:\(\w+\))?[-#0 +]*(?:\*|\d+)?(?:\.(?:\*|\d+))?[diouxXeEfFgGcrsa%]")
BRACE = re.compile(r"\{[A-Za-z_]\w*\}")


def placeholders(text: str, entry: Entry) -> Counter[str]:
    found = Counter(BRACE.findall(text))
    if "python-format" in entry.flags:
        found.update(PRINTF.findall(text))
    return found


@pytest.fixture(scope="module")
def zh() -> list[Entry]:
    assert ZH_PO.exists(), f"{ZH_PO} is missing: {FIX}"
    return read_po(ZH_PO)


# The catalogue itself -----------------------------------------------------------------------------

def test_the_catalogue_is_the_one_zh_hans_catalogue_with_one_plural_form(zh: list[Entry]) -> None:
    header = ZH_PO.read_text(encoding="utf-8").split("\n\n", 1)[0]
    assert '"Language: zh_Hans\\n"' in header
    assert '"Plural-Forms: nplurals=1; plural=0;\\n"' in header
    assert not [p for p in LOCALE.iterdir() if p.name.lower().startswith("zh") and p.name != "zh_Hans"], \
        "one Chinese catalogue only (zh_Hans): no zh_CN or zh-hans beside it"
    assert len(zh) > 100


def test_every_chinese_entry_is_translated_and_none_is_fuzzy(zh: list[Entry]) -> None:
    untranslated = [e.label for e in zh if not e.translated]
    fuzzy = [e.label for e in zh if "fuzzy" in e.flags]
    assert not untranslated, f"untranslated zh_Hans entries ({FIX}): {untranslated}"
    assert not fuzzy, f"fuzzy zh_Hans entries: check each translation and remove '#, fuzzy': {fuzzy}"


def test_plural_entries_have_exactly_the_one_chinese_form(zh: list[Entry]) -> None:
    wrong = [e.label for e in zh if e.msgid_plural is not None and len(e.msgstr) != 1]
    assert not wrong, f"zh_Hans has one plural form: give msgstr[0] only: {wrong}"


def test_translations_keep_every_placeholder(zh: list[Entry]) -> None:
    wrong = []
    for entry in zh:
        # Chinese has one form for every count, so it must carry what the plural source carries.
        source = placeholders(entry.msgid_plural or entry.msgid, entry)
        for text in entry.msgstr:
            if text and placeholders(text, entry) != source:
                wrong.append(f"{entry.label}: {sorted(source.elements())} ≠ {sorted(placeholders(text, entry).elements())}")
    assert not wrong, "placeholders differ between msgid and msgstr:\n" + "\n".join(wrong)


def test_the_compiled_catalogue_matches_the_po(zh: list[Entry]) -> None:
    assert ZH_MO.exists(), f"{ZH_MO} is missing: {FIX}"
    with ZH_MO.open("rb") as handle:
        compiled = {k: v for k, v in gettext.GNUTranslations(handle)._catalog.items() if k != ""}  # type: ignore[attr-defined]
    expected: dict[object, str] = {}
    for entry in zh:
        if not entry.translated or "fuzzy" in entry.flags:
            continue
        key = f"{entry.context}\x04{entry.msgid}" if entry.context else entry.msgid
        if entry.msgid_plural is None:
            expected[key] = entry.msgstr[0]
        else:
            expected.update({(key, index): text for index, text in enumerate(entry.msgstr)})
    stale = sorted(str(k) for k in set(compiled) ^ set(expected))[:10]
    changed = sorted(str(k) for k in set(compiled) & set(expected) if compiled[k] != expected[k])[:10]
    assert not stale and not changed, f"django.mo is older than django.po ({FIX}): {stale or changed}"


@pytest.mark.skipif(not all(shutil.which(tool) for tool in ("xgettext", "msguniq", "msgmerge", "msgattrib")),
                    reason="GNU gettext (xgettext) is not installed: cannot extract the source's strings")
def test_every_string_in_the_source_is_in_both_catalogues(tmp_path: Path, settings, monkeypatch) -> None:
    copy = tmp_path / "opsdesk"
    shutil.copytree(SRC, copy, ignore=shutil.ignore_patterns("static", "locale", "migrations", "__pycache__"))
    (copy / "locale").mkdir()
    settings.LOCALE_PATHS = [str(copy / "locale")]
    monkeypatch.chdir(copy)
    call_command("makemessages", locale=["zh_Hans"], ignore_patterns=IGNORE, verbosity=0)
    fresh = read_po(copy / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po")
    assert len(fresh) > 100, "the extraction found almost nothing: is the copy complete?"
    for catalogue in (ZH_PO, EN_PO):
        known = {entry.key for entry in read_po(catalogue)}
        missing = [entry.label for entry in fresh if entry.key not in known]
        assert not missing, f"strings in the source but not in {catalogue.relative_to(SRC)} ({FIX}): {missing}"


# The pages -----------------------------------------------------------------------------------------

class _VisibleText(HTMLParser):
    """What a reader sees or hears: text, and the attributes that carry words (scripts and styles left out)."""

    ATTRIBUTES = ("title", "placeholder", "aria-label", "alt", "data-confirm")

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._hidden += 1
        self.parts.extend(value for name, value in attrs if name in self.ATTRIBUTES and value)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._hidden = max(0, self._hidden - 1)

    def handle_data(self, data: str) -> None:
        if not self._hidden and data.strip():
            self.parts.append(" ".join(data.split()))


def visible_text(html: str) -> str:
    parser = _VisibleText()
    parser.feed(html)
    return "\n".join(parser.parts)


@pytest.fixture(autouse=True)
def _fast_sign_in(settings) -> Iterator[None]:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    cache.clear()  # sign-in throttling lives in the cache
    yield
    cache.clear()


def signed_in(username: str, language: str | None) -> Client:
    """Sign in through the form; ``language=None`` is a browser that never chose one."""
    client = Client()
    if language:
        client.cookies["django_language"] = language
    response = client.post(reverse("ui:login"), {"username": username, "password": "demo-pass-1"})
    assert response.status_code == 302, response.content.decode()[:500]
    return client


@pytest.fixture
def pages(world) -> dict[str, tuple[str | None, str]]:
    """page name → (who reads it, its address), with a record that has a little history."""
    incident = services.incident_create(
        actor=world.requester, title="打印机无法打印", description="今天早上开始所有打印任务都卡住。",
        service=world.production, category=world.categories["operation"])
    services.incident_transition(actor=world.desk, incident=incident, transition="assign", group=world.l1_group)
    services.incident_transition(actor=world.l1, incident=incident, transition="accept")
    services.incident_log_work(actor=world.l1, incident=incident, minutes=15, note="重启打印服务")
    return {
        "sign-in": (None, reverse("ui:login")),
        "portal": ("requester", reverse("ui:portal_home")),
        "portal record": ("requester", reverse("ui:portal_detail", args=[incident.number])),
        "queue": ("desk", reverse("ui:incident_queue") + "?queue="),
        "record": ("desk", reverse("ui:incident_detail", args=[incident.number])),
        "profile": ("l1", reverse("ui:profile")),
    }


# Known texts of each page: (context, msgid).
EXPECTED = {
    "sign-in": [(None, "Sign in"), (None, "IT service desk"), (None, "Username"), (None, "Password"),
                (None, "Times are shown in China Standard Time (Asia/Shanghai).")],
    "portal": [(None, "Self-service portal"), (None, "Report a fault"), (None, "Awaiting my confirmation"),
               (None, "My records"), ("incident state", "In progress")],
    "portal record": [(None, "Progress"), (None, "Handled by"), ("when", "Reported"), (None, "Dispatched")],
    "queue": [(None, "Assigned to me"), (None, "Not yet dispatched"), (None, "Filter"), (None, "Requester"),
              (None, "Any priority"), (None, "Dashboard")],
    "record": [(None, "Timeline"), (None, "Details"), (None, "Watchers"), (None, "Work log"),
               (None, "%(actor)s took it"), ("transition", "Cancel"),
               (None, "P4 Low"), (None, "command line")],
    "profile": [(None, "Your details"), (None, "API tokens"), (None, "Create token"), (None, "L1 engineer"),
                (None, "Sign out")],
}


def _fetch(pages: dict[str, tuple[str | None, str]], page: str, language: str | None) -> str:
    username, url = pages[page]
    client = signed_in(username, language) if username else Client()
    if not username and language:
        client.cookies["django_language"] = language
    response = client.get(url)
    assert response.status_code == 200, f"{page}: {response.status_code}"
    return response.content.decode()


def _texts(entry: Entry) -> tuple[str, str]:
    english, chinese = entry.msgid, entry.msgstr[0]
    if "%(actor)s" in english:  # a timeline phrase: compare what follows the actor's name
        english, chinese = english.replace("%(actor)s", "").strip(), chinese.replace("%(actor)s", "").strip()
    return english, chinese


@pytest.mark.parametrize("page", list(EXPECTED))
def test_pages_speak_chinese_by_default(page: str, pages, zh: list[Entry]) -> None:
    html = _fetch(pages, page, None)
    assert '<html lang="zh-hans">' in html
    text = visible_text(html)
    catalogue = {(e.context, e.msgid): e for e in zh}
    for wanted in EXPECTED[page]:
        english, chinese = _texts(catalogue[wanted])
        assert chinese in text, f"{page}: {chinese!r} (for {english!r}) is not on the page"
        assert english not in text, f"{page}: {english!r} is shown in English"
    # Nor any other sentence of the catalogue left in English.
    leftovers = sorted({e.msgid for e in zh if " " in e.msgid and "%" not in e.msgid and "<" not in e.msgid
                        and e.msgid != e.msgstr[0] and e.msgid in text})
    assert not leftovers, f"{page}: English UI text on a Chinese page: {leftovers}"


@pytest.mark.parametrize("page", list(EXPECTED))
def test_pages_are_english_after_switching(page: str, pages, zh: list[Entry]) -> None:
    html = _fetch(pages, page, "en")
    assert '<html lang="en">' in html
    text = visible_text(html)
    catalogue = {(e.context, e.msgid): e for e in zh}
    for wanted in EXPECTED[page]:
        english, chinese = _texts(catalogue[wanted])
        assert english in text, f"{page}: {english!r} is missing in English"
        assert chinese not in text, f"{page}: {chinese!r} is shown on an English page"
