"""Keyword search (``q``): every word must appear in the title or the description, case-insensitively.

On PostgreSQL the words are matched against the indexed ``search_key`` (Chinese characters doubled so
two-character words have trigrams); these cases pin down that it finds exactly what a plain
case-insensitive substring test finds, on both databases.
"""

from __future__ import annotations

import pytest

from opsdesk.incidents import services
from opsdesk.incidents.models import Incident
from opsdesk.incidents.selectors import IncidentFilter, incident_list


@pytest.fixture
def records(world) -> dict[str, Incident]:
    def report(title: str, description: str) -> Incident:
        return services.incident_create(actor=world.requester, title=title, description=description,
                                        service=world.production)

    return {
        "usb": report("U盘无法识别", "插入后电脑没有反应"),
        "network": report("营业厅网络中断", "整个营业厅断网，POS 无法收费"),
        "printer": report("Printer jam on floor 3", "The HP LaserJet M404 shows paper jam 100% of the time"),
        "sap": report("SAP 过账失败", "FB60 posting fails with message M7021; 网络正常"),
        "slow": report("系统很慢", "打开页面要等一分钟"),
    }


def _found(world, q: str) -> set[str]:
    return {i.title for i in incident_list(user=world.desk, filters=IncidentFilter(q=q))}


@pytest.mark.parametrize(
    ("q", "titles"),
    [
        ("网络", {"营业厅网络中断", "SAP 过账失败"}),  # two Chinese characters, in a title and in a description
        ("网络中断", {"营业厅网络中断"}),
        ("络中", {"营业厅网络中断"}),  # any substring, not only whole words
        ("u盘", {"U盘无法识别"}),  # a letter beside a Chinese character, any case
        ("慢", {"系统很慢"}),  # one Chinese character
        ("PRINTER", {"Printer jam on floor 3"}),
        ("jam laserjet", {"Printer jam on floor 3"}),  # every word, in title or description
        ("SAP 网络", {"SAP 过账失败"}),
        ("SAP 打印", set()),
        ("100%", {"Printer jam on floor 3"}),  # % and _ are plain characters
        ("1_0", set()),
        ("m7021", {"SAP 过账失败"}),
        ("断网，POS", {"营业厅网络中断"}),
        ("网网", set()),
    ],
)
def test_keyword_search_finds_every_word_as_a_substring(world, records, q: str, titles: set[str]) -> None:
    assert _found(world, q) == titles
