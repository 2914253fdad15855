"""vCard 3.0 of a customer, written and read with ``vobject`` (escaping per
RFC 6350 §3.4 for every text value, URL, EMAIL and TEL included; UTF-8;
lines folded at 75 octets; a line break in a value, LF, CRLF or a lone CR,
becomes ``\\n``).

``N``: a company's name is its family part (ORG holds it too); a person's
last word is the family name, the first the given name, any words between
them additional names (``Dana Levi Cohen`` → ``Cohen;Dana;Levi;;``).

The fields the sync owns (``FIELDS``: name, company, email, phone, mobile,
address, website, note) can be read back from any card, and a card the
CardDAV target writes carries ``X-CRM-SYNC-PUSHED``, a short hash of each of
them as pushed: comparing a card found in the address book with it tells
which fields someone changed there since (see ``carddav.py``).
"""

import hashlib
import re
from typing import Any

import vobject
from vobject.vcard import Address, Name

from .base import Customer

# a vobject vCard component (vobject has no type hints)
VCard = Any

PRODID = "-//crm_relationship//crm-sync//EN"
PUSHED = "X-CRM-SYNC-PUSHED"
FIELDS = (
    "name",
    "company",
    "email",
    "phone",
    "mobile",
    "address",
    "website",
    "note",
)
# what the sync writes: a merge keeps every other property of a card
WRITTEN = frozenset(
    {
        "VERSION",
        "PRODID",
        "UID",
        "FN",
        "N",
        "ORG",
        "EMAIL",
        "TEL",
        "ADR",
        "URL",
        "NOTE",
        "REV",
        "X-ABSHOWAS",
        PUSHED,
    }
)


def _text(value: object) -> str:
    return "" if value in (None, False) else str(value)


def _name(customer: Customer) -> Name:
    name = _text(customer.get("name")).strip()
    words = name.split()
    if customer.get("is_company") or len(words) < 2:
        return Name(family=name)
    return Name(family=words[-1], given=words[0], additional=" ".join(words[1:-1]))


def card(customer: Customer, pushed: bool = False) -> VCard:
    """The vobject vCard of ``customer`` (a push payload); with ``pushed``
    it carries the hashes of its fields as pushed."""
    vcard = vobject.vCard()
    vcard.add("prodid").value = PRODID
    vcard.add("uid").value = _text(customer["uid"])
    name = _text(customer.get("name"))
    vcard.add("fn").value = name
    vcard.add("n").value = _name(customer)
    company = name if customer.get("is_company") else customer.get("company_name")
    if company:
        vcard.add("org").value = [_text(company)]
    if customer.get("is_company"):
        vcard.add("x-abshowas").value = "COMPANY"  # Apple: list it by company
    if customer.get("email"):
        email = vcard.add("email")
        email.value = _text(customer["email"])
        email.type_param = "INTERNET"
    for field, kind in (("phone", "WORK"), ("mobile", "CELL")):
        if customer.get(field):
            tel = vcard.add("tel")
            tel.value = _text(customer[field])
            tel.type_param = kind
    street = ", ".join(
        _text(customer.get(key)) for key in ("street", "street2") if customer.get(key)
    )
    address = Address(
        street=street,
        city=_text(customer.get("city")),
        region=_text(customer.get("state")),
        code=_text(customer.get("zip")),
        country=_text(customer.get("country")),
    )
    if any((street, address.city, address.region, address.code, address.country)):
        adr = vcard.add("adr")
        adr.value = address
        adr.type_param = "WORK"
    if customer.get("website"):
        vcard.add("url").value = _text(customer["website"])
    if customer.get("comment"):
        vcard.add("note").value = _text(customer["comment"])
    if customer.get("write_date"):
        vcard.add("rev").value = _text(customer["write_date"]).replace(" ", "T") + "Z"
    if pushed:
        vcard.add(PUSHED.lower()).value = fingerprint(vcard)
    return vcard


def to_vcard(customer: Customer, pushed: bool = False) -> str:
    text: str = card(customer, pushed).serialize()
    return text


def parse(text: str) -> VCard:
    """The vobject vCard of ``text``; ValueError when it is not one."""
    try:
        return vobject.readOne(text)
    except Exception as error:  # noqa: BLE001 - vobject raises many kinds
        raise ValueError(f"not a readable vCard: {error}") from None


# -- the fields the sync owns, read back ---------------------------------------


def values(vcard: VCard) -> dict[str, list[str]]:
    """{field: [values]} of the fields the sync owns, as the card has them."""
    found: dict[str, list[str]] = {field: [] for field in FIELDS}
    for line in vcard.getChildren():
        field = _field_of(line)
        if field:
            found[field].append(_shown(line))
    return found


def _field_of(line: Any) -> str | None:
    name: str = line.name.upper()
    if name == "TEL":
        kinds = {
            kind.upper()
            for value in line.params.get("TYPE", [])
            for kind in value.split(",")
        } | {value.upper() for value in line.singletonparams}
        return "mobile" if "CELL" in kinds else "phone"
    return {
        "FN": "name",
        "ORG": "company",
        "EMAIL": "email",
        "ADR": "address",
        "URL": "website",
        "NOTE": "note",
    }.get(name)


def _shown(line: Any) -> str:
    value = line.value
    if isinstance(value, Address):
        parts = (
            value.street,
            value.city,
            value.region,
            value.code,
            value.country,
        )
        return ", ".join(
            " ".join(part) if isinstance(part, list) else part for part in parts if part
        )
    if isinstance(value, list):
        return ";".join(value)
    return _text(value)


def _key(field: str, shown: str) -> str:
    """What counts as a change: spacing never does, nor the case of an email
    or the dashes of a phone number."""
    if field in ("phone", "mobile"):
        return "".join(re.findall(r"[+\d]", shown))
    text = " ".join(shown.split())
    return text.casefold() if field == "email" else text


def keys(vcard: VCard) -> dict[str, str]:
    found = values(vcard)
    return {
        field: "\n".join(sorted(_key(field, shown) for shown in found[field]))
        for field in FIELDS
    }


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()[:12]


def fingerprint(vcard: VCard) -> str:
    """``name=<hash> company=<hash> …`` of the card's fields."""
    return " ".join(f"{field}={_digest(key)}" for field, key in keys(vcard).items())


def pushed_digests(vcard: VCard) -> dict[str, str] | None:
    """{field: hash} as pushed, from the card's X-CRM-SYNC-PUSHED; None when
    it has none (not written by the sync, or a client dropped it)."""
    line = next(
        (line for line in vcard.getChildren() if line.name.upper() == PUSHED), None
    )
    if line is None:
        return None
    pairs = (item.partition("=") for item in _text(line.value).split())
    return {field: digest for field, _sep, digest in pairs}


def changed_since_push(vcard: VCard) -> list[str]:
    """The fields changed in this card since the sync wrote it (every field
    when the card does not say what was pushed)."""
    pushed = pushed_digests(vcard)
    current = keys(vcard)
    return [
        field
        for field in FIELDS
        if pushed is None or pushed.get(field) != _digest(current[field])
    ]


def conflicts(theirs: VCard, ours: VCard) -> list[tuple[str, str, str]]:
    """[(field, their value, our value)] of the fields changed in the card
    ``theirs`` since the sync wrote it whose value is not ``ours``'s."""
    changed = changed_since_push(theirs)
    their_keys, our_keys = keys(theirs), keys(ours)
    their_values, our_values = values(theirs), values(ours)
    return [
        (field, ", ".join(their_values[field]), ", ".join(our_values[field]))
        for field in changed
        if their_keys[field] != our_keys[field]
    ]


def merge(theirs: VCard, ours: VCard) -> VCard:
    """``ours`` with every property of ``theirs`` that the sync does not
    write (a photo, a birthday, labels added on a phone) kept."""
    for line in theirs.getChildren():
        if line.name.upper() not in WRITTEN:
            ours.add(line)
    return ours
