"""The settings model and its strict TOML loader: unknown keys and wrong types name the file and key."""

from __future__ import annotations

import math
import re
import tomllib
import types
import typing
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import msgspec

from socialdesk.errors import UserError


class HoursSettings(msgspec.Struct):
    """[desk.hours]: when the team works; response times and SLA clocks in metrics run only then."""

    timezone: str = "UTC"
    """The team's IANA time zone ("Europe/Berlin"); days and holidays are read in it."""
    days: dict[str, str] = msgspec.field(default_factory=dict)
    """Opening hours per day: mon..sun or weekdays = "09:00-17:00" (or "09:00-12:00, 13:00-18:00");
    none: every hour counts."""
    holidays: list[str] = msgspec.field(default_factory=list)
    """Dates the team is closed ("2026-12-25")."""


class DeskSettings(msgspec.Struct):
    """[desk]: the agent and how the desk looks and behaves."""

    agent: str = "agent"
    """Your name as colleagues and the audit log see it."""
    roles: list[str] = msgspec.field(default_factory=lambda: ["agent"])
    """Your roles: "agent", plus "approver" to approve replies on escalated conversations."""
    theme: str = "socialdesk-dark"
    """Theme name: socialdesk-dark, socialdesk-light, socialdesk-high-contrast, or one of yours."""
    playbook: str = ""
    """Path to the team's playbook (rules, queues, canned replies); empty: the bundled sample."""
    undo_seconds: float = 10.0
    """How long a confirmed reply waits before it is handed to the network (undo window)."""
    spike_bell: bool = True
    images: str = "blocks"
    """Image previews: "blocks" (half blocks, any terminal) or "terminal" (the terminal's own graphics,
    kitty's protocol or sixel, where it has them; needs textual-image: `pip install 'socialdesk[images]'`)."""
    """Ring the terminal bell when a new spike of posts raises the banner."""
    sync_interval: float = 30.0
    """Seconds between sync rounds of each account."""
    offline: bool = False
    """Never contact the networks: triage and draft from the cache; replies wait in the outbox."""
    db: str = ""
    """Path of the cache database; empty: the platform's data directory."""
    hours: HoursSettings = msgspec.field(default_factory=HoursSettings)
    """[desk.hours]: business hours for metrics."""


class SlaSettings(msgspec.Struct):
    """[sla]: first-response targets in minutes per priority."""

    urgent: float = 15
    """Priority 3 (urgent)."""
    high: float = 60
    """Priority 2 (high)."""
    normal: float = 240
    """Priority 1 (normal)."""
    low: float = 1440
    """Priority 0 (low)."""

    def minutes(self, priority: int) -> float:
        """The target for a priority (0 low .. 3 urgent)."""
        return [self.low, self.normal, self.high, self.urgent][max(0, min(3, priority))]


class AccountSettings(msgspec.Struct):
    """[[accounts]]: one account on one network; options depend on the connector."""

    name: str
    """A short unique name for the account ("brand-x", "support-mastodon")."""
    connector: str
    """The connector's name as `socialdesk connectors` lists it."""
    enabled: bool = True
    """Set false to keep the account configured but not synced."""
    options: dict[str, Any] = msgspec.field(default_factory=dict)
    """Connector-specific settings (every other key of the table)."""


class TeamSettings(msgspec.Struct):
    """[team]: work one shared queue with colleagues through a PostgreSQL database (README: Team)."""

    url: str = ""
    """postgresql://USER@HOST:PORT/DBNAME[?sslmode=require]; empty: a solo desk. Keep the password out
    of this file: `socialdesk team password URL` stores it in the keyring (or the 0600 secrets
    file), or use libpq's PGPASSFILE."""


class PrivacySettings(msgspec.Struct):
    """[privacy]: finding personal data (cards, phones, e-mail, bookings) in public posts and replies."""

    phone_regions: list[str] = msgspec.field(default_factory=lambda: ["US", "GB"])
    """Countries (ISO codes such as "DE") whose national phone numbers, written without +, are found;
    numbers written with + are found whatever the country."""


CRM_PLACEHOLDERS = ("email", "order", "crm_id", "handle", "customer")


class CustomersSettings(msgspec.Struct):
    """[customers]: the fields agents keep on a customer (i in the desk) and the team's CRM."""

    crm_link: str = ""
    """Address of a customer in the team's CRM, with placeholders from the customer's fields:
    {email}, {order}, {crm_id}, {handle} (the author's handle), {customer} (the cache's id).
    Example: "https://crm.example.com/customers/{crm_id}". Empty: no CRM link."""


class Settings(msgspec.Struct):
    """Everything config.toml can say."""

    desk: DeskSettings = msgspec.field(default_factory=DeskSettings)
    sla: SlaSettings = msgspec.field(default_factory=SlaSettings)
    team: TeamSettings = msgspec.field(default_factory=TeamSettings)
    privacy: PrivacySettings = msgspec.field(default_factory=PrivacySettings)
    customers: CustomersSettings = msgspec.field(default_factory=CustomersSettings)
    keys: dict[str, str] = msgspec.field(default_factory=dict)
    """[keys]: binding id = "comma,separated,keys" (see `?` in the desk for the ids)."""
    accounts: list[AccountSettings] = msgspec.field(default_factory=list)
    source: str = "defaults"
    """Which file these settings came from (not a config key)."""


_MAX_INT64 = 2**63 - 1


def _type_ok(value: object, annotation: object) -> bool:
    origin = typing.get_origin(annotation)
    if annotation is float:  # TOML allows inf and nan; no setting means them, and a count must fit 64 bits
        if isinstance(value, int) and not isinstance(value, bool):
            return abs(value) <= _MAX_INT64
        return isinstance(value, float) and math.isfinite(value)
    if annotation is int:
        return isinstance(value, int) and not isinstance(value, bool) and abs(value) <= _MAX_INT64
    if origin is list:
        (item,) = typing.get_args(annotation)
        return isinstance(value, list) and all(_type_ok(v, item) for v in value)
    if origin is dict:
        key_t, val_t = typing.get_args(annotation)
        return isinstance(value, dict) and all(
            _type_ok(k, key_t) and (val_t is Any or _type_ok(v, val_t)) for k, v in value.items()
        )
    if origin in (typing.Union, types.UnionType):
        return any(_type_ok(value, a) for a in typing.get_args(annotation))
    if annotation is Any:
        return True
    if not isinstance(annotation, type):  # a settings field of a kind this checker does not know
        raise TypeError(f"cannot check a setting against {annotation!r}")
    return isinstance(value, annotation)


def _type_name(annotation: object, value: object = None) -> str:
    if annotation in (int, float) and isinstance(value, int | float) and not isinstance(value, bool):
        return "a finite number" if isinstance(value, float) else "an integer that fits 64 bits"
    names: dict[object, str] = {float: "a number", int: "an integer", str: "a string", bool: "true or false"}
    return names.get(annotation, str(annotation).replace("typing.", ""))


def _build(cls: type, table: Any, where: str, source: str) -> Any:
    """Build settings struct `cls` from a TOML table, rejecting unknown keys and wrong types."""
    if not isinstance(table, dict):
        raise UserError(f"{source}: [{where}] must be a table")
    known = {f.name: f for f in msgspec.structs.fields(cls) if f.name != "source"}
    kwargs: dict[str, Any] = {}
    for key, value in table.items():
        if key not in known:
            raise UserError(
                f"{source}: unknown key {where + '.' if where else ''}{key} (known: {', '.join(known)})"
            )
        hint = known[key].type
        if isinstance(hint, type) and issubclass(hint, msgspec.Struct):
            kwargs[key] = _build(hint, value, key, source)
        elif not _type_ok(value, hint):
            raise UserError(
                f"{source}: {where + '.' if where else ''}{key} must be {_type_name(hint, value)}, "
                f"got {value!r:.80}"
            )
        else:
            kwargs[key] = value
    missing = [n for n, f in known.items() if f.required and n not in kwargs]
    if missing:
        raise UserError(f"{source}: [{where}] is missing {', '.join(missing)}")
    return cls(**kwargs)


def parse(data: dict[str, Any], source: str) -> Settings:
    """Validate a parsed TOML document into Settings.

    Raises:
        UserError: naming `source` and the offending key.
    """
    data = dict(data)
    accounts_raw = data.pop("accounts", [])
    if not isinstance(accounts_raw, list):
        raise UserError(f"{source}: accounts must be written as [[accounts]] tables")
    settings = _build(Settings, data, "", source)
    names: set[str] = set()
    for index, raw in enumerate(accounts_raw):
        where = f"accounts[{index}]"
        if not isinstance(raw, dict):
            raise UserError(f"{source}: {where} must be a table")
        for key in ("name", "connector"):
            if not isinstance(raw.get(key), str) or not raw.get(key):
                raise UserError(f"{source}: {where}.{key} must be a non-empty string")
        enabled = raw.get("enabled", True)
        if not isinstance(enabled, bool):
            raise UserError(f"{source}: {where}.enabled must be true or false, got {enabled!r}")
        if raw["name"] in names:
            raise UserError(f"{source}: {where}.name {raw['name']!r} is used twice")
        names.add(raw["name"])
        options = {k: v for k, v in raw.items() if k not in ("name", "connector", "enabled")}
        for key, value in options.items():
            if isinstance(value, int | float) and not isinstance(value, bool) and not _type_ok(value, float):
                raise UserError(f"{source}: {where}.{key} must be a finite number that fits 64 bits")
        settings.accounts.append(AccountSettings(raw["name"], raw["connector"], enabled, options))
    if settings.desk.undo_seconds < 0:
        raise UserError(f"{source}: desk.undo_seconds must not be negative")
    if settings.desk.sync_interval <= 0:
        raise UserError(f"{source}: desk.sync_interval must be a positive number of seconds")
    for name in ("urgent", "high", "normal", "low"):
        if getattr(settings.sla, name) <= 0:
            raise UserError(f"{source}: sla.{name} must be a positive number of minutes")
    _check_team_url(settings.team.url, source)
    if settings.desk.images not in ("blocks", "terminal"):
        shown = f"{settings.desk.images!r:.40}"
        raise UserError(f'{source}: desk.images must be "blocks" or "terminal", not {shown}')
    for region in settings.privacy.phone_regions:
        if not (len(region) == 2 and region.isascii() and region.isalpha() and region.isupper()):
            raise UserError(f'{source}: privacy.phone_regions: {region!r} is not a country code such as "DE"')
    _check_crm_link(settings.customers.crm_link, source)
    settings.source = source
    return settings


_URL_PASSWORD = re.compile(r"(://[^:/@?#]*:)[^@/?#]*@")


def _check_team_url(url: str, source: str) -> None:
    """The scheme, host and port of [team] url (libpq checks the rest when the desk connects)."""
    if not url:
        return
    shown = _URL_PASSWORD.sub(r"\1***@", url)
    if not url.startswith(("postgresql://", "postgres://")):
        raise UserError(f"{source}: team.url must be a postgresql:// URL, got {shown!r:.120}")
    try:
        port = urlsplit(url).port
    except ValueError:
        port = -1
    if port == -1 or port == 0:
        raise UserError(f"{source}: team.url has a bad port (1 to 65535): {shown!r:.120}")


def _check_crm_link(template: str, source: str) -> None:
    """The CRM link must be a web address whose {placeholders} are the customer's fields."""
    import string

    if not template:
        return
    if urlsplit(template).scheme not in ("http", "https"):
        raise UserError(f"{source}: customers.crm_link must start with https:// or http://")
    try:
        names = [name for _, name, _, _ in string.Formatter().parse(template) if name is not None]
    except ValueError as exc:
        raise UserError(f"{source}: customers.crm_link: {exc}") from None
    for name in names:
        if name not in CRM_PLACEHOLDERS:
            known = ", ".join(f"{{{p}}}" for p in CRM_PLACEHOLDERS)
            raise UserError(f"{source}: customers.crm_link: unknown placeholder {{{name}}} (known: {known})")


def validate_account_options(
    account: AccountSettings, allowed: dict[str, tuple[type, str]], source: str
) -> None:
    """Check an account's connector-specific keys against what its connector declares."""
    for key, value in account.options.items():
        if key not in allowed:
            known = ", ".join(sorted(allowed)) or "none"
            raise UserError(
                f"{source}: unknown key {key!r} for {account.connector} account {account.name!r} "
                f"(known: {known})"
            )
        expected = allowed[key][0]
        if not _type_ok(value, expected):
            raise UserError(
                f"{source}: account {account.name!r} key {key!r} must be {_type_name(expected, value)}, "
                f"got {value!r:.80}"
            )
        if isinstance(value, str) and (key.endswith("url") or key == "service"):
            try:
                urlsplit(value).port  # noqa: B018 - parsing is the check
            except ValueError as exc:
                raise UserError(
                    f"{source}: account {account.name!r} key {key!r} is not a valid URL ({exc}): "
                    f"{value!r:.80}"
                ) from None


def load(path: Path | None, required: bool = False) -> Settings:
    """Load settings from `path` (or defaults when it does not exist and is not required).

    Raises:
        UserError: the file is missing (when required), not TOML, or has a bad key or value.
    """
    if path is None or not path.exists():
        if required:
            raise UserError(f"config file not found: {path}")
        return Settings()
    try:
        # utf-8-sig: a byte order mark (Windows editors write one) is not part of the TOML
        data = tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except tomllib.TOMLDecodeError as exc:
        raise UserError(f"{path}: not valid TOML: {exc}") from None
    except RecursionError:
        raise UserError(f"{path}: not valid TOML: nested too deeply") from None
    except UnicodeDecodeError:
        raise UserError(f"{path}: not a text file (not UTF-8)") from None
    except OSError as exc:
        raise UserError(f"{path}: cannot read: {exc.strerror or exc}") from None
    return parse(data, str(path))
