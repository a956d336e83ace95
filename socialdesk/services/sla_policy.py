"""The shared playbook's `[sla]` (first-response targets by condition, on business hours) and `[escalation]`.

[sla]
urgent = 15          # minutes per priority (the agent's config gives the defaults)
high = 60
[sla.hours]          # count only opening hours; holidays closed
timezone = "Europe/London"
days = { weekdays = "08:00-20:00", sat = "09:00-13:00" }
holidays = ["2026-12-25"]
[[sla.policy]]       # the first policy whose conditions all hold sets the target
name = "VIPs"
vip = true
minutes = 30

[escalation]
roles = ["supervisor", "legal", "duty-manager"]
"""

from __future__ import annotations

import msgspec
from msgspec.structs import replace

from socialdesk.config import SlaSettings
from socialdesk.errors import UserError
from socialdesk.services.hours import BusinessHours, parse_hours

DEFAULT_ROLES = ("supervisor", "marketing", "legal")
_PRIORITY_KEYS = ("urgent", "high", "normal", "low")
# How far ahead a due time is looked for on business hours (a long holiday closure included).
_HORIZON_SECONDS = 120 * 86400


class SlaTarget(msgspec.Struct, frozen=True):
    """One `[[sla.policy]]`: conditions (None: not checked) and the target in minutes."""

    name: str
    minutes: float
    vip: bool | None = None
    networks: frozenset[str] | None = None
    priorities: frozenset[int] | None = None

    def matches(self, network: str, priority: int, vip: bool) -> bool:
        """Whether every condition holds."""
        return (
            (self.vip is None or self.vip == vip)
            and (self.networks is None or network in self.networks)
            and (self.priorities is None or priority in self.priorities)
        )


class SlaPolicy(msgspec.Struct, frozen=True):
    """First-response targets: the first matching policy, else the priority's; on business hours if set."""

    targets: SlaSettings = msgspec.field(default_factory=SlaSettings)
    policies: tuple[SlaTarget, ...] = ()
    hours: BusinessHours | None = None

    def minutes(self, network: str, priority: int, vip: bool) -> float:
        """The target for a post."""
        for policy in self.policies:
            if policy.matches(network, priority, vip):
                return policy.minutes
        return self.targets.minutes(priority)

    def due(self, created_at: float, network: str, priority: int, vip: bool) -> float:
        """When the first response is due: the target counted on business hours (every minute if none)."""
        left = self.minutes(network, priority, vip) * 60
        if self.hours is None or self.hours.always_open:
            return created_at + left
        for start, end in self.hours.open_intervals(created_at, created_at + _HORIZON_SECONDS):
            if end - start >= left:
                return start + left
            left -= end - start
        return created_at + _HORIZON_SECONDS


def _policy(raw: object, index: int, where: str) -> SlaTarget:
    if not isinstance(raw, dict):
        raise UserError(f"{where}.policy[{index}] must be a table")
    name = raw.get("name", f"policy {index + 1}")
    label = f"{where}.policy {name!r}"
    known = ("name", "minutes", "vip", "network", "priority")
    for key in raw:
        if key not in known:
            raise UserError(f"{label}: unknown key {key!r} (known: {', '.join(known)})")
    minutes = raw.get("minutes")
    if not isinstance(minutes, int | float) or isinstance(minutes, bool) or minutes <= 0:
        raise UserError(f"{label}: minutes must be a number above 0, got {minutes!r}")
    vip = raw.get("vip")
    if vip is not None and not isinstance(vip, bool):
        raise UserError(f"{label}: vip must be true or false, got {vip!r}")
    networks = raw.get("network")
    if isinstance(networks, str):
        networks = [networks]
    if networks is not None and not (
        isinstance(networks, list) and all(isinstance(n, str) for n in networks)
    ):
        raise UserError(f"{label}: network must be a string or a list of strings, got {networks!r}")
    priorities = raw.get("priority")
    if isinstance(priorities, int) and not isinstance(priorities, bool):
        priorities = [priorities]
    if priorities is not None and not (
        isinstance(priorities, list) and all(isinstance(p, int) and 0 <= p <= 3 for p in priorities)
    ):
        raise UserError(f"{label}: priority must be 0-3 or a list of them, got {priorities!r}")
    return SlaTarget(
        str(name),
        float(minutes),
        vip,
        frozenset(networks) if networks is not None else None,
        frozenset(priorities) if priorities is not None else None,
    )


def parse_sla(section: object, source: str, base: SlaSettings | None = None) -> SlaPolicy:
    """Validate `[sla]`; targets it does not set come from `base` (the agent's config).

    Raises:
        UserError: naming the file and key.
    """
    base = base or SlaSettings()
    if section is None:
        return SlaPolicy(base)
    where = f"{source}: sla"
    if not isinstance(section, dict):
        raise UserError(f"{where} must be a table")
    targets: dict[str, float] = {}
    policies: list[SlaTarget] = []
    hours: BusinessHours | None = None
    for key, value in section.items():
        if key in _PRIORITY_KEYS:
            if not isinstance(value, int | float) or isinstance(value, bool) or value <= 0:
                raise UserError(f"{where}.{key} must be minutes above 0, got {value!r}")
            targets[key] = float(value)
        elif key == "policy":
            if not isinstance(value, list):
                raise UserError(f"{where}: policies must be written as [[sla.policy]] tables")
            policies = [_policy(raw, i, where) for i, raw in enumerate(value)]
        elif key == "hours":
            if not isinstance(value, dict):
                raise UserError(f"{where}.hours must be a table")
            unknown = set(value) - {"timezone", "days", "holidays"}
            if unknown:
                raise UserError(
                    f"{where}.hours: unknown key {sorted(unknown)[0]!r} (known: timezone, days, holidays)"
                )
            days, holidays = value.get("days", {}), value.get("holidays", [])
            if not isinstance(days, dict) or not all(isinstance(v, str) for v in days.values()):
                raise UserError(f'{where}.hours.days must be a table of day = "09:00-17:00"')
            if not isinstance(holidays, list) or not all(isinstance(h, str) for h in holidays):
                raise UserError(f'{where}.hours.holidays must be a list of dates ("2026-12-25")')
            hours = parse_hours(str(value.get("timezone", "UTC")), days, holidays, f"{where}.hours")
        else:
            known = ", ".join((*_PRIORITY_KEYS, "hours", "policy"))
            raise UserError(f"{where}: unknown key {key!r} (known: {known})")
    return SlaPolicy(replace(base, **targets), tuple(policies), hours)


def parse_escalation(section: object, source: str) -> tuple[str, ...]:
    """Validate `[escalation]`: the roles a conversation can be escalated to (default: `DEFAULT_ROLES`).

    Raises:
        UserError: naming the file and key.
    """
    if section is None:
        return DEFAULT_ROLES
    where = f"{source}: escalation"
    if not isinstance(section, dict):
        raise UserError(f"{where} must be a table")
    for key in section:
        if key != "roles":
            raise UserError(f"{where}: unknown key {key!r} (known: roles)")
    roles = section.get("roles")
    if not isinstance(roles, list) or not roles or not all(isinstance(r, str) and r.strip() for r in roles):
        raise UserError(f"{where}.roles must be a non-empty list of role names, got {roles!r}")
    if len({r.casefold() for r in roles}) != len(roles):
        raise UserError(f"{where}.roles: a role is listed twice")
    bad = next((r for r in roles if any(c.isspace() for c in r)), None)
    if bad is not None:
        raise UserError(f"{where}.roles: {bad!r} must be one word (it becomes the tag escalated:{bad})")
    return tuple(roles)
