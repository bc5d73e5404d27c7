"""Two people at the same moment (real threads and transactions: PostgreSQL)."""

from __future__ import annotations

import pytest
from django.db import connection  # noqa: F401 - read by the skipif condition

from opsdesk.cmdb.models import AttributeValue, ConfigurationItem, Relation
from opsdesk.core.errors import Conflict, ValidationFailed
from tests.incidents.test_locking import _at_once

pytestmark = [
    pytest.mark.skipif("connection.vendor == 'sqlite'",
                       reason="the SQLite test database is in memory and cannot be shared by threads; run on PostgreSQL"),
    pytest.mark.django_db(transaction=True),
]


def test_two_cis_with_the_same_serial_number_at_once_one_is_refused(cmdb):
    outcomes = _at_once(lambda: cmdb.ci("server", "srv-a", attributes={"serial_number": "SN-RACE"}),
                        lambda: cmdb.ci("server", "srv-b", attributes={"serial_number": "sn-race"}))
    winners = [o for o in outcomes if isinstance(o, ConfigurationItem)]
    losers = [o for o in outcomes if not isinstance(o, ConfigurationItem)]
    assert len(winners) == 1 and len(losers) == 1
    assert isinstance(losers[0], (Conflict, ValidationFailed))
    assert AttributeValue.objects.filter(value_key="sn-race").count() == 1
    assert ConfigurationItem.objects.count() == 1  # the refused one rolled back whole


def test_relating_a_pair_both_ways_at_once_keeps_one_connection(cmdb):
    a = cmdb.ci("network_device", "sw-a")
    b = cmdb.ci("network_device", "sw-b")
    outcomes = _at_once(lambda: cmdb.relate(a, "connected_to", b), lambda: cmdb.relate(b, "connected_to", a))
    assert sorted(type(o).__name__ for o in outcomes) == ["Conflict", "Relation"]
    assert Relation.objects.count() == 1
