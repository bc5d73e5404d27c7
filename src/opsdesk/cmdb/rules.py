"""Pure decisions about the CMDB: who may read and write CIs, how a value of each attribute type is read
and checked, and in which direction each relation kind carries a failure.

Permissions (``opsdesk.accounts.roles``; each held per organisation, for that organisation and, by default, those
below it):

- ``cmdb.view`` — read CIs, relations, maps and impact of the organisations in scope: every staff role (service
  desk, engineers, incident and configuration managers, category administrators, auditors, administrators);
  requesters and organisation viewers nothing;
- ``cmdb.write`` — create and edit CIs, relate them, move them through their lifecycle, record custody, in the
  organisations in scope: engineers L1–L3, incident managers, configuration managers, administrators (not the
  service desk, which reads and picks CIs; auditors are read-only);
- ``cmdb.configure`` — define classes, attributes and relation rules, and import from Excel (the rows still
  need ``cmdb.write`` in their organisation): configuration managers and administrators;
- an incident's affected CIs are part of the incident: whoever may edit the incident or log work on it links
  the CIs they can read (``cmdb.view``).
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext as _

from opsdesk.accounts.models import User
from opsdesk.accounts.roles import Permission as P
from opsdesk.accounts.selectors import holds_in, organisation_ids_where

from .choices import AttributeType, IpVersion, RelationKind

# Permissions -----------------------------------------------------------------------------------

READ_PERMISSION = P.CMDB_VIEW
WRITE_PERMISSION = P.CMDB_WRITE
CONFIGURE_PERMISSION = P.CMDB_CONFIGURE


def readable_organisation_ids(user: User) -> frozenset[int]:
    return organisation_ids_where(user, READ_PERMISSION)


def writable_organisation_ids(user: User) -> frozenset[int]:
    return organisation_ids_where(user, WRITE_PERMISSION)


def can_view(user: User, organisation_id: int | None) -> bool:
    return holds_in(user, READ_PERMISSION, organisation_id)


def can_write(user: User, organisation_id: int | None) -> bool:
    return holds_in(user, WRITE_PERMISSION, organisation_id)


def can_configure(user: User) -> bool:
    """Define classes, attributes and relation rules; import sheets."""
    return user.is_superuser or user.holds(CONFIGURE_PERMISSION)


# Impact direction ---------------------------------------------------------------------------------

# For ``source <kind> target``, which end a failure travels to:
#   "to_source": the target's failure impacts the source (app runs on server: the server's failure hits the app);
#   "to_target": the source's failure impacts the target (disk part of server; backup unit backs up a database —
#                the database loses its protection);
#   "both": symmetric (connected to).
IMPACT_DIRECTION: dict[str, str] = {
    RelationKind.RUNS_ON: "to_source",
    RelationKind.DEPENDS_ON: "to_source",
    RelationKind.PART_OF: "to_target",
    RelationKind.BACKS_UP: "to_target",
    RelationKind.CONNECTED_TO: "both",
}
SYMMETRIC_KINDS = frozenset(k for k, d in IMPACT_DIRECTION.items() if d == "both")


def kinds_towards_source() -> list[str]:
    """Kinds along which a failure of the *target* reaches the *source*."""
    return sorted(k for k, d in IMPACT_DIRECTION.items() if d in ("to_source", "both"))


def kinds_towards_target() -> list[str]:
    """Kinds along which a failure of the *source* reaches the *target*."""
    return sorted(k for k, d in IMPACT_DIRECTION.items() if d in ("to_target", "both"))


# Attribute values ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class AttributeSpec:
    """What validation needs to know of an attribute definition (no ORM)."""

    code: str
    label: str
    type: str
    required: bool = False
    unique: bool = False
    choices: tuple[str, ...] = ()
    reference_class_ids: frozenset[int] | None = None  # the referenced class and its subclasses; None: any
    ip_version: int = IpVersion.ANY
    min_value: Decimal | None = None
    max_value: Decimal | None = None
    regex: str = ""
    id: int | None = None
    inherited_from: str = ""  # the code of the ancestor class that defines it ("" when the class itself does)
    extra: dict[str, Any] = field(default_factory=dict)


class AttributeValueError(ValueError):
    """A value an attribute refuses; the message names the attribute."""


def is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip()) or value == []


def _number(spec: AttributeSpec, raw: Any) -> int | float:
    if isinstance(raw, bool):
        raise AttributeValueError(_("“%(attribute)s” must be a number.") % {"attribute": spec.label})
    try:
        number = Decimal(str(raw).strip().replace(",", ""))
    except InvalidOperation:
        raise AttributeValueError(_("“%(attribute)s” must be a number, not “%(value)s”.")
                              % {"attribute": spec.label, "value": raw})
    if not number.is_finite():
        raise AttributeValueError(_("“%(attribute)s” must be a number, not “%(value)s”.")
                              % {"attribute": spec.label, "value": raw})
    if spec.min_value is not None and number < spec.min_value:
        raise AttributeValueError(_("“%(attribute)s” must be at least %(minimum)s.")
                              % {"attribute": spec.label, "minimum": _plain(spec.min_value)})
    if spec.max_value is not None and number > spec.max_value:
        raise AttributeValueError(_("“%(attribute)s” must be at most %(maximum)s.")
                              % {"attribute": spec.label, "maximum": _plain(spec.max_value)})
    return int(number) if number == number.to_integral_value() and abs(number) < 2**53 else float(number)


def _plain(number: Decimal) -> str:
    text = format(number.normalize(), "f")
    return text


def _date(spec: AttributeSpec, raw: Any) -> str:
    if isinstance(raw, dt.datetime):
        return raw.date().isoformat()
    if isinstance(raw, dt.date):
        return raw.isoformat()
    text = str(raw).strip()
    for pattern in ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y%m%d"):
        try:
            return dt.datetime.strptime(text, pattern).replace(tzinfo=dt.UTC).date().isoformat()
        except ValueError:
            continue
    match = re.fullmatch(r"(\d{4})年(\d{1,2})月(\d{1,2})日", text)
    if match:
        try:
            return dt.date(*(int(g) for g in match.groups())).isoformat()
        except ValueError:
            pass
    raise AttributeValueError(_("“%(attribute)s” must be a date (YYYY-MM-DD), not “%(value)s”.")
                          % {"attribute": spec.label, "value": text})


def _choice(spec: AttributeSpec, raw: Any) -> str:
    text = str(raw).strip()
    if text in spec.choices:
        return text
    folded = {c.casefold(): c for c in spec.choices}
    if text.casefold() in folded:
        return folded[text.casefold()]
    raise AttributeValueError(_("“%(value)s” is not a choice of “%(attribute)s” (choose from: %(choices)s).")
                          % {"value": text, "attribute": spec.label, "choices": ", ".join(spec.choices)})


def _ip(spec: AttributeSpec, raw: Any) -> str:
    text = str(raw).strip()
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        raise AttributeValueError(_("“%(attribute)s” must be an IP address, not “%(value)s”.")
                              % {"attribute": spec.label, "value": text})
    if spec.ip_version and address.version != spec.ip_version:
        raise AttributeValueError(_("“%(attribute)s” must be an IPv%(version)d address, not “%(value)s”.")
                              % {"attribute": spec.label, "version": spec.ip_version, "value": text})
    return address.compressed


def _text(spec: AttributeSpec, raw: Any) -> str:
    if isinstance(raw, float) and raw.is_integer():  # an Excel cell holding 12345 comes back as 12345.0
        raw = int(raw)
    text = str(raw).strip()
    if len(text) > 1000:
        raise AttributeValueError(_("“%(attribute)s” is too long (at most 1000 characters).") % {"attribute": spec.label})
    if spec.regex and not re.fullmatch(spec.regex, text):
        raise AttributeValueError(_("“%(value)s” is not in the form “%(attribute)s” asks for.")
                              % {"value": text, "attribute": spec.label})
    return text


ReferenceLookup = Callable[[Any], tuple[int, int] | None]
"""Given what the user gave for a reference (an id or a CI name), the CI's (id, class id), or None."""


def _reference(spec: AttributeSpec, raw: Any, lookup: ReferenceLookup | None) -> int:
    if isinstance(raw, dict):
        raw = raw.get("id")
    found = lookup(raw) if lookup is not None else None
    if found is None:
        raise AttributeValueError(_("“%(attribute)s” refers to a CI that does not exist: “%(value)s”.")
                              % {"attribute": spec.label, "value": raw})
    ci_id, class_id = found
    if spec.reference_class_ids is not None and class_id not in spec.reference_class_ids:
        raise AttributeValueError(_("“%(attribute)s” must refer to a CI of another class.") % {"attribute": spec.label})
    return ci_id


def clean_value(spec: AttributeSpec, raw: Any, *, lookup: ReferenceLookup | None = None) -> Any:
    """The stored (JSON) form of ``raw`` for ``spec``, or ``None`` when blank; raises ``AttributeValueError``."""
    if is_blank(raw):
        if spec.required:
            raise AttributeValueError(_("“%(attribute)s” is required.") % {"attribute": spec.label})
        return None
    if spec.type == AttributeType.TEXT:
        return _text(spec, raw)
    if spec.type == AttributeType.NUMBER:
        return _number(spec, raw)
    if spec.type == AttributeType.DATE:
        return _date(spec, raw)
    if spec.type == AttributeType.CHOICE:
        return _choice(spec, raw)
    if spec.type == AttributeType.IP_ADDRESS:
        return _ip(spec, raw)
    if spec.type == AttributeType.REFERENCE:
        return _reference(spec, raw, lookup)
    raise AttributeValueError(_("“%(attribute)s” has an unknown type.") % {"attribute": spec.label})


def clean_attributes(
    specs: dict[str, AttributeSpec], values: dict[str, Any], *, lookup: ReferenceLookup | None = None,
    partial: bool = False,
) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """Check every value against its attribute. Returns (clean values, errors by ``attributes.<code>``).

    Unknown codes are errors. ``partial``: only the given codes are checked (an edit of some values);
    otherwise every required attribute must have a value.
    """
    clean: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    for code in values:
        if code not in specs:
            errors[f"attributes.{code}"] = [_("This class has no attribute “%(code)s”.") % {"code": code}]
    for code, spec in specs.items():
        if partial and code not in values:
            continue
        try:
            value = clean_value(spec, values.get(code), lookup=lookup)
        except AttributeValueError as error:
            errors[f"attributes.{code}"] = [str(error)]
            continue
        if value is not None:
            clean[code] = value
    return clean, errors


def value_key(spec_type: str, value: Any) -> str:
    """The normalised text of a stored value, used for exact filtering and uniqueness."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip().casefold()[:255]


def value_number(spec_type: str, value: Any) -> float | None:
    if spec_type == AttributeType.NUMBER and isinstance(value, (int, float)):
        return float(value)
    return None
