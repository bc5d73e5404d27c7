"""Class and attribute administration after the fact, and bounded query counts for lists and impact."""

from __future__ import annotations

import pytest

from opsdesk.cmdb import selectors, services
from opsdesk.cmdb.selectors import CIFilter
from opsdesk.core.errors import ValidationFailed


def test_a_class_cannot_be_moved_below_itself_or_onto_a_clashing_parent(cmdb, world):
    with pytest.raises(ValidationFailed) as excinfo:
        services.ci_class_update(actor=world.admin, ci_class=cmdb.classes["hardware"], parent=cmdb.classes["server"])
    assert "parent" in excinfo.value.field_errors
    with pytest.raises(ValidationFailed):  # "version" is defined on software, an ancestor of database
        services.attribute_define(actor=world.admin, ci_class=cmdb.classes["database"], code="version",
                                  name="v", type="text")


def test_a_choice_in_use_cannot_be_removed_but_new_choices_can_be_added(cmdb, world):
    cmdb.ci("server", "srv-1", attributes={"os": "AIX"})
    os_attribute = next(a.definition for a in selectors.class_attributes(cmdb.classes["server"])
                        if a.definition.code == "os")
    with pytest.raises(ValidationFailed):
        services.attribute_update(actor=world.admin, attribute=os_attribute, choices=["Linux", "Windows"])
    services.attribute_update(actor=world.admin, attribute=os_attribute,
                              choices=[*os_attribute.choices, "openEuler"])
    assert cmdb.ci("server", "srv-2", attributes={"os": "openeuler"}).attributes["os"] == "openEuler"


def test_an_attribute_becomes_required_only_once_every_ci_has_it(cmdb, world):
    cmdb.ci("cabinet", "rack-1")
    room = next(a.definition for a in selectors.class_attributes(cmdb.classes["cabinet"]) if a.definition.code == "room")
    with pytest.raises(ValidationFailed):
        services.attribute_update(actor=world.admin, attribute=room, required=True)
    rack = selectors.ci_list(user=world.admin, filters=CIFilter(q="rack-1")).get()
    services.ci_update(actor=world.admin, ci=rack, attributes={"room": "A101"})
    services.attribute_update(actor=world.admin, attribute=room, required=True)
    with pytest.raises(ValidationFailed):
        cmdb.ci("cabinet", "rack-2")


def test_the_list_and_impact_read_a_bounded_number_of_queries(cmdb, world, django_assert_max_num_queries):
    core = cmdb.ci("network_device", "core")
    for n in range(15):
        srv = cmdb.ci("server", f"srv-{n}", attributes={"cpu_cores": 8, "serial_number": f"S{n}"})
        cmdb.relate(srv, "connected_to", core)
    with django_assert_max_num_queries(6):
        rows = list(selectors.ci_list(user=world.l1, filters=CIFilter(attrs={"cpu_cores__gte": "4"}, q="srv")))
        [ci.ci_class.code + str(ci.organisation) for ci in rows]
    assert len(rows) == 15
    selectors.impact_of(user=world.l1, ci=core)  # loads the graph snapshot
    with django_assert_max_num_queries(14):
        impact = selectors.impact_of(user=world.l1, ci=core)
    assert len(impact.cis) == 15
