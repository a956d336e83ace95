"""A customer's profile fields: checked, saved with an audit entry, and the CRM link built from them."""

from __future__ import annotations

import re
import string
from typing import TYPE_CHECKING
from urllib.parse import quote

from socialdesk.config import CRM_PLACEHOLDERS
from socialdesk.errors import UserError
from socialdesk.sanitize import clean
from socialdesk.store import Store, customer_fields

if TYPE_CHECKING:
    from socialdesk.services.team_desk import TeamDesk

LABELS = {"email": "E-mail", "order": "Order number", "crm_id": "CRM id"}
MAX_LENGTH = {"email": 254, "order": 64, "crm_id": 128}
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def check(values: dict[str, str]) -> dict[str, str]:
    """The values as they will be stored (trimmed, one line).

    Raises:
        UserError: a field is unknown, too long, holds control characters, or the e-mail is not one.
    """
    checked: dict[str, str] = {}
    for name, raw in values.items():
        if name not in LABELS:
            raise UserError(f"Unknown customer field {name!r} (known: {', '.join(LABELS)})")
        value = raw.strip()
        if clean(value, single_line=True) != value:
            raise UserError(f"{LABELS[name]}: control characters or line breaks are not allowed")
        if len(value) > MAX_LENGTH[name]:
            raise UserError(f"{LABELS[name]}: {MAX_LENGTH[name]} characters at most")
        if name == "email" and value and not _EMAIL.match(value):
            raise UserError(f"E-mail: {value[:60]!r} is not an e-mail address")
        checked[name] = value
    return checked


def save(
    store: Store, agent: str, customer_id: int, values: dict[str, str], team: TeamDesk | None = None
) -> dict[str, str]:
    """Check and save fields; audit what changed. Returns the changed fields (empty: nothing changed).

    A team desk (`team`) saves them in its cache first, then for the team (or in its journal while
    the team database is unreachable), so a colleague's desk shows them too.

    Raises:
        UserError: a field is wrong (nothing saved); or the team refused them (saved here only).
    """
    checked = check(values)
    with store.transaction() as tx:
        changed = customer_fields.write(tx, customer_id, checked, agent)
        if changed:
            store.audit(agent, "customer.fields", None, customer=customer_id, changed=changed)
    if team is not None and changed:
        try:
            team.push_fields(customer_id, changed)
        except UserError as exc:
            raise UserError(f"Saved on this desk only: {exc}") from None
    return changed


def crm_link(template: str, fields: dict[str, str], handle: str, customer_id: int) -> str:
    """The customer's CRM address from the template ("" when no template or a field it needs is unset).

    Values are percent-encoded, so a field can never change the address's host or path.
    """
    if not template:
        return ""
    values = {**fields, "handle": handle, "customer": str(customer_id)}
    names = [name for _, name, _, _ in string.Formatter().parse(template) if name is not None]
    if any(not values.get(name) for name in names):
        return ""
    return template.format(**{name: quote(values.get(name, ""), safe="") for name in CRM_PLACEHOLDERS})
