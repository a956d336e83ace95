"""Shared HTTP plumbing for connectors: bounded retries with jitter, rate-limit headers, error mapping.

Every network call of a connector goes through `Api.request`, which turns what the network said
into the connector errors of `base.py`:

* 401/403 -> AuthError; 429 -> RateLimited(until) computed from the network's own headers;
* a failure that proves the request never left (connection refused, DNS, no connection from the
  pool) -> retried for any request, then TransientError;
* 5xx, timeouts and dropped connections -> retried for idempotent calls only, then TransientError;
* a timeout, dropped connection or 5xx after a non-idempotent POST may have reached the server ->
  SendUncertain at once: never sent again from here (the outbox reconciles);
* other 4xx -> HttpError (a PermanentError carrying the status and the server's error code);
* a body that is not JSON (empty, truncated, an HTML error page) -> MalformedResponse.

Messages never contain a secret: they are built from the status and a short excerpt of the
server's own error text, and pass through `socialdesk.secrets.redact`.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx
import msgspec

from socialdesk.connectors.base import (
    AuthError,
    PermanentError,
    RateLimited,
    SendUncertain,
    TransientError,
)
from socialdesk.secrets import redact

DEFAULT_TIMEOUT = httpx.Timeout(20.0, connect=10.0)
MAX_BODY_BYTES = 32 * 1024 * 1024  # a page larger than this is a server fault, not a feed
FALLBACK_WAIT = 60.0  # seconds to wait on a 429 that names no reset time

# A query string's values, as httpx encodes them (a sequence repeats the key; None leaves it out).
QueryScalar = str | int | float | bool | None
QueryValue = QueryScalar | Sequence[QueryScalar]
Query = Mapping[str, QueryValue]


class RetryPolicy(msgspec.Struct):
    """How often and how long to retry an idempotent call (tests shrink `base_delay` to 0).

    Attributes:
        tries: attempts in all, including the first.
        base_delay: the first backoff in seconds; doubles on each retry, with jitter.
        max_delay: cap on one backoff.
        sleep: the sleeping function (tests replace it).
    """

    tries: int = 3
    base_delay: float = 0.5
    max_delay: float = 8.0
    sleep: Callable[[float], None] = msgspec.field(default=time.sleep)

    def delay(self, attempt: int) -> float:
        """Backoff before retry number `attempt` (0-based): exponential, with "equal jitter"."""
        ceiling = min(self.max_delay, self.base_delay * (2**attempt))
        return ceiling / 2 + random.uniform(0, ceiling / 2)


# Module-level so the contract kit and tests can swap it for a fast one.
POLICY = RetryPolicy()

ResetParser = Callable[[httpx.Headers, float], float | None]


class HttpError(PermanentError):
    """A 4xx the connector may want to look at (status and the server's error code)."""

    def __init__(self, message: str, status: int, code: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.code = code


class MalformedResponse(TransientError):
    """The body was not the JSON the network documents (empty, truncated, an HTML error page)."""


# -- rate-limit headers ------------------------------------------------------------------------


def retry_after(headers: httpx.Headers, now: float) -> float | None:
    """`Retry-After` as unix seconds: either a number of seconds or an HTTP date."""
    value = headers.get("retry-after", "").strip()
    if not value:
        return None
    try:
        return now + max(0.0, float(value))
    except ValueError:
        pass
    try:
        return parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError, IndexError):
        return None


def _epoch(value: str | None) -> float | None:
    try:
        return float(value) if value else None
    except ValueError:
        return None


def mastodon_reset(headers: httpx.Headers, now: float) -> float | None:
    """Mastodon: `X-RateLimit-Reset` is an ISO 8601 time; a 429 may carry no Retry-After."""
    value = headers.get("x-ratelimit-reset", "").strip()
    if value:
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
        except ValueError:
            pass
    return retry_after(headers, now)


def bluesky_reset(headers: httpx.Headers, now: float) -> float | None:
    """Bluesky: `Retry-After` when present, else `RateLimit-Reset` (unix seconds)."""
    return retry_after(headers, now) or _epoch(headers.get("ratelimit-reset"))


def x_reset(headers: httpx.Headers, now: float) -> float | None:
    """X: `x-rate-limit-reset` (unix seconds), else Retry-After."""
    return _epoch(headers.get("x-rate-limit-reset")) or retry_after(headers, now)


# -- the client ---------------------------------------------------------------------------------


def make_client(base_url: str, headers: Mapping[str, str] | None = None) -> httpx.Client:
    """An httpx client for one account with sensible timeouts and a user agent."""
    return httpx.Client(
        base_url=base_url,
        timeout=DEFAULT_TIMEOUT,
        headers={"User-Agent": "socialdesk/0.1 (+customer service desk)", **(headers or {})},
        follow_redirects=True,
    )


def _server_message(body: bytes) -> tuple[str, str]:
    """A short excerpt of the server's own error text, and its error code when it names one."""
    try:
        data = json.loads(body)
    except ValueError:
        return body[:120].decode("utf-8", "replace").strip(), ""
    if not isinstance(data, dict):
        return "", ""
    code = data.get("error") if isinstance(data.get("error"), str) else ""
    for key in ("message", "error_description", "detail", "title", "error"):
        value = data.get(key)
        if isinstance(value, str) and value:
            return value[:200], code or ""
    errors = data.get("errors")
    if isinstance(errors, list) and errors and isinstance(errors[0], dict):
        return str(errors[0].get("message") or errors[0].get("detail") or "")[:200], code or ""
    return "", code or ""


class Api:
    """One network's HTTP calls with retries and error mapping.

    Args:
        client: the httpx client (bound to the account's base URL).
        network: the network's display name, used in messages.
        reset: how this network says when a rate limit ends.
        secrets: values that must never appear in a message (the token, the password).
        policy: retry policy; None uses the module's `POLICY` at call time.
    """

    def __init__(
        self,
        client: httpx.Client,
        network: str,
        reset: ResetParser = retry_after,
        secrets: Iterable[str | None] = (),
        policy: RetryPolicy | None = None,
    ) -> None:
        self.client = client
        self.network = network
        self.reset = reset
        self.secrets = [s for s in secrets if s]
        self.policy = policy
        self.max_body = MAX_BODY_BYTES
        self.last_response: httpx.Response | None = None

    def _msg(self, text: str) -> str:
        return redact(f"{self.network}: {text}", self.secrets)

    def request(
        self,
        method: str,
        url: str,
        *,
        params: Query | None = None,
        json_body: object = None,
        headers: Mapping[str, str] | None = None,
        idempotent: bool | None = None,
        creates: bool | None = None,
        ok: tuple[int, ...] = (),
    ) -> httpx.Response:
        """Send one request, retrying idempotent ones; map failures to connector errors.

        Args:
            idempotent: safe to repeat once it may have reached the server (default: true for GET).
                A POST may pass True only when the server itself makes a repeat harmless (a
                pre-chosen record key it refuses twice); an Idempotency-Key header is not enough.
            creates: the request creates something (a post): failing after it was sent is SendUncertain
                (default: true for anything but GET/HEAD). A login POST passes False.
            ok: extra statuses to return instead of raising (e.g. 304 for conditional GETs).

        Returns:
            The response, its body already read (at most `max_body` bytes).
        """
        policy = self.policy or POLICY
        is_get = method.upper() in ("GET", "HEAD")
        repeatable = is_get if idempotent is None else idempotent
        uncertain = (not is_get) if creates is None else creates
        tries = max(1, policy.tries)
        for attempt in range(tries):
            last = attempt == tries - 1
            try:
                response = self._send(method, url, params, json_body, headers)
            except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
                # Proved never to have left (refused, DNS, no connection): any request may go again.
                if last:
                    raise TransientError(self._msg(f"cannot connect ({type(exc).__name__})")) from None
            except (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError) as exc:
                # It may have reached the server: only a request that is harmless twice goes again.
                if uncertain and (last or not repeatable):
                    raise SendUncertain(
                        self._msg(f"no answer after sending ({type(exc).__name__}); it may have been posted")
                    ) from None
                if last or not repeatable:
                    raise TransientError(self._msg(f"no answer ({type(exc).__name__})")) from None
            else:
                self.last_response = response
                status = response.status_code
                if 200 <= status < 300 or status in ok:
                    return response
                message, code = _server_message(response.content)
                detail = f"{status} {message}".strip()
                if status in (401, 403):
                    raise AuthError(self._msg(f"needs auth ({detail})"))
                if status == 429:
                    now = time.time()
                    until = self.reset(response.headers, now) or now + FALLBACK_WAIT
                    raise RateLimited(until=max(until, now), message=self._msg("rate limited"))
                if status >= 500:
                    if uncertain and (last or not repeatable):
                        raise SendUncertain(self._msg(f"server error after sending ({detail})"))
                    if last or not repeatable:
                        raise TransientError(self._msg(f"server error ({detail})"))
                else:
                    raise HttpError(self._msg(f"refused ({detail})"), status, code)
            policy.sleep(policy.delay(attempt))
        raise AssertionError("unreachable")  # pragma: no cover

    def _send(
        self,
        method: str,
        url: str,
        params: Query | None,
        json_body: object,
        headers: Mapping[str, str] | None,
    ) -> httpx.Response:
        """Send and read the body, refusing bodies over `max_body` (a huge page is a fault)."""
        request = self.client.build_request(method, url, params=params, json=json_body, headers=headers)
        response = self.client.send(request, stream=True)
        try:
            chunks = []
            size = 0
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > self.max_body:
                    raise MalformedResponse(self._msg(f"response larger than {self.max_body} bytes"))
                chunks.append(chunk)
        except httpx.DecodingError:
            raise MalformedResponse(self._msg("undecodable response body")) from None
        finally:
            response.close()
        # The body is already decoded: drop the headers that describe the encoded form.
        kept = [
            (k, v)
            for k, v in response.headers.multi_items()
            if k.lower() not in ("content-encoding", "content-length", "transfer-encoding")
        ]
        return httpx.Response(response.status_code, headers=kept, content=b"".join(chunks), request=request)

    def json(self, response: httpx.Response) -> Any:
        """The response body as JSON, or MalformedResponse naming what came instead."""
        body = response.content
        if not body.strip():
            raise MalformedResponse(self._msg(f"empty body from {response.request.url.path}"))
        try:
            return json.loads(body)
        except ValueError:
            raise MalformedResponse(
                self._msg(f"malformed JSON from {response.request.url.path} ({len(body)} bytes)")
            ) from None

    def get_json(
        self, url: str, params: Query | None = None, headers: Mapping[str, str] | None = None
    ) -> Any:
        """GET and decode JSON (retried on transient failures)."""
        return self.json(self.request("GET", url, params=params, headers=headers))

    def post_json(
        self,
        url: str,
        body: object,
        headers: Mapping[str, str] | None = None,
        idempotent: bool = False,
        creates: bool = True,
    ) -> Any:
        """POST JSON and decode the answer; only retried when the caller says it is idempotent."""
        return self.json(
            self.request("POST", url, json_body=body, headers=headers, idempotent=idempotent, creates=creates)
        )


# -- payload helpers shared by the connectors ----------------------------------------------------


def parse_time(value: object) -> float:
    """An ISO 8601 time (with Z or an offset; naive means UTC) as unix seconds.

    Raises:
        ValueError: not a time.
    """
    if not isinstance(value, str) or not value:
        raise ValueError(f"not a timestamp: {value!r}")
    parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    if parsed.tzinfo is None:
        from datetime import UTC

        parsed = parsed.replace(tzinfo=UTC)
    return parsed.timestamp()


def load_cursor(cursor: str | None) -> dict[str, Any]:
    """Decode a connector's JSON cursor; an unreadable one counts as a first sync."""
    if not cursor:
        return {}
    try:
        data = json.loads(cursor)
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def dump_cursor(data: dict[str, Any]) -> str:
    """Encode a connector's cursor compactly and deterministically."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"))


def id_key(native_id: str) -> tuple[int, str]:
    """Sort key for opaque ids that grow over time: numeric strings by value, ULIDs lexically."""
    return (len(native_id), native_id)


def raw_text(item: object) -> str:
    """An item as JSON text for quarantine (whatever it is)."""
    try:
        return json.dumps(item, ensure_ascii=False, default=str)
    except (TypeError, ValueError):  # pragma: no cover - default=str handles the odd ones
        return repr(item)
