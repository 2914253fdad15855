"""vCard 3.0 of a customer (RFC 2426), UTF-8, lines folded at 75 octets.

Line breaks in a value (LF, CRLF or a lone CR, as a note pasted from Windows
has) are escaped as ``\\n``: a raw CR or LF would end the card's line.
"""


def _escape(value):
    return (
        str(value)
        .replace("\\", "\\\\")
        .replace("\r\n", "\n")
        .replace("\r", "\n")
        .replace("\n", "\\n")
        .replace(",", "\\,")
        .replace(";", "\\;")
    )


def _fold(line):
    encoded = line.encode()
    if len(encoded) <= 75:
        return line
    parts, current = [], b""
    for char in line:
        piece = char.encode()
        if len(current) + len(piece) > (75 if not parts else 74):
            parts.append(current.decode())
            current = b""
        current += piece
    parts.append(current.decode())
    return "\r\n ".join(parts)


def to_vcard(customer):
    lines = [
        "BEGIN:VCARD",
        "VERSION:3.0",
        f"UID:{customer['uid']}",
        f"FN:{_escape(customer['name'] or '')}",
    ]
    if customer.get("is_company"):
        lines += ["N:;;;;", f"ORG:{_escape(customer['name'] or '')}"]
    else:
        lines.append(f"N:{_escape(customer['name'] or '')};;;;")
        if customer.get("company_name"):
            lines.append(f"ORG:{_escape(customer['company_name'])}")
    if customer.get("email"):
        lines.append(f"EMAIL;TYPE=INTERNET:{_escape(customer['email'])}")
    for field, kind in (("phone", "WORK"), ("mobile", "CELL")):
        if customer.get(field):
            lines.append(f"TEL;TYPE={kind}:{_escape(customer[field])}")
    street = ", ".join(filter(None, (customer.get("street"), customer.get("street2"))))
    address = [street] + [
        customer.get(key) or "" for key in ("city", "state", "zip", "country")
    ]
    if any(address):
        lines.append("ADR;TYPE=WORK:;;" + ";".join(_escape(v) for v in address))
    if customer.get("website"):
        lines.append(f"URL:{_escape(customer['website'])}")
    if customer.get("comment"):
        lines.append(f"NOTE:{_escape(customer['comment'])}")
    lines.append(f"REV:{(customer.get('write_date') or '').replace(' ', 'T')}Z")
    lines.append("END:VCARD")
    return "".join(_fold(line) + "\r\n" for line in lines)
