"""`socialdesk reply POST_ID ...` (review, confirm, queue and send a reply) and `socialdesk outbox ...`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Optional

import typer

from socialdesk.context import Context, from_typer
from socialdesk.errors import UserError
from socialdesk.sanitize import clean, json_dumps

if TYPE_CHECKING:
    from socialdesk.models import PostRow
    from socialdesk.services.outbox import Outbox

OUTBOX_ACTIONS = ("list", "retry", "discard", "flush")
# The states in which `reply` has done its job: sent, or queued (offline, or held for an approver).
DONE = ("sent", "queued", "awaiting_approval")


def _outbox(ctx: Context, undo_seconds: float = 0.0) -> Outbox:
    from socialdesk.services.outbox import Outbox
    from socialdesk.services.outbox_worker import resolver_for

    return Outbox(ctx.store, resolver_for(ctx), undo_seconds=undo_seconds)


def find_post(ctx: Context, ref: str) -> PostRow:
    """A post by cache id ("42") or network identity ("mastodon:1100223").

    Raises:
        UserError: no such post in the cache.
    """
    from socialdesk.store.queries import get_post, get_post_by_native

    ref = ref.strip()
    if ref.isdigit():
        post = get_post(ctx.store.conn, int(ref))
    elif ":" in ref:
        network, native_id = ref.split(":", 1)
        post = get_post_by_native(ctx.store.conn, network, native_id)
    else:
        raise UserError(f"POST_ID: want a cache id (42) or network:native_id (x:1790...), got {ref!r}")
    if post is None:
        raise UserError(f"no post {ref!r} in the cache (sync first, or check the id)")
    return post


def _refusal(ctx: Context, post: PostRow, text: str, dm: bool) -> str | None:
    """Why this reply cannot go, when that is known before the review (None: no objection known).

    A post the cache knows is deleted, an account nobody configured, or what the connector says
    (a DM where the network has none, a post it no longer has). Offline, the connector is not asked
    to read the network; a network that does not answer now raises no objection (the send will tell).
    """
    from socialdesk.connectors.base import Connector, ConnectorError, OutgoingReply
    from socialdesk.services.outbox_worker import resolver_for

    if getattr(post, "deleted_at", None) is not None:
        return "the post was deleted on the network"
    try:
        connector = resolver_for(ctx)(post.network, post.account)
    except UserError as exc:
        return str(exc)
    outgoing = OutgoingReply(
        idempotency_key="",
        text=text,
        in_reply_to=None if dm and post.kind != "dm" else post.native_id,
        to_handle=post.author_handle if dm else "",
        to_native_id=post.author_native_id if dm else "",
        dm=dm,
    )
    try:
        return Connector.refusal(connector, outgoing) if ctx.offline else connector.refusal(outgoing)
    except ConnectorError:
        return None
    finally:
        connector.close()


def _parse_prompts(values: list[str]) -> dict[str, str]:
    prompts = {}
    for value in values:
        label, sep, answer = value.partition("=")
        if not sep or not label.strip():
            raise UserError(f"--prompt: want LABEL=VALUE, got {value!r}")
        prompts[label.strip()] = answer
    return prompts


def build_reply_text(
    ctx: Context, post: PostRow, text: str | None, macro: str | None, prompts: dict[str, str]
) -> str:
    """The body of the reply from --text or a filled --macro (mentions not yet added)."""
    if (text is None) == (macro is None):
        raise UserError("give the reply with --text or --macro (one of them)")
    if text is not None:
        return text
    from socialdesk.services.conversations import ticket_label
    from socialdesk.services.macros import fill, load_macros, values_for

    if ctx.settings.team.url:  # a team desk's canned replies are the team's set, never its own file's
        from socialdesk.services.team_playbook import team_macros

        chosen = team_macros(ctx.store).get(macro or "")
    else:
        chosen = load_macros(ctx.settings.desk.playbook).get(macro or "")
    missing = [label for label in chosen.prompts if label not in prompts]
    if missing:
        raise UserError(f"macro {chosen.name!r} asks for {', '.join(missing)}: pass --prompt 'LABEL=VALUE'")
    ticket = ticket_label(ctx.store, post.id) if "{ticket}" in chosen.text else ""
    return fill(chosen.text, values_for(post, ctx.agent, ticket), prompts)


def register(app: typer.Typer) -> None:
    """Add the `reply` and `outbox` commands to the CLI."""

    @app.command()
    def reply(
        ctx: typer.Context,
        post_ref: Annotated[str, typer.Argument(metavar="POST_ID", help="Cache id or network:native_id.")],
        text: Annotated[Optional[str], typer.Option("--text", help="The reply.")] = None,  # noqa: UP045
        dm: Annotated[bool, typer.Option("--dm", help="Send as a direct message to the author.")] = False,
        macro: Annotated[Optional[str], typer.Option("--macro", help="Use a canned reply.")] = None,  # noqa: UP045
        prompt: Annotated[
            Optional[list[str]],  # noqa: UP045
            typer.Option("--prompt", help="A macro prompt's value, LABEL=VALUE (repeatable)."),
        ] = None,
        split: Annotated[
            bool, typer.Option("--split", help="Send as a numbered thread if too long.")
        ] = False,
        yes: Annotated[bool, typer.Option("--yes", "-y", help="Skip the confirmation.")] = False,
        as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
    ) -> None:
        """Review and send a reply (or DM) to a cached post through the outbox."""
        from socialdesk import compose
        from socialdesk.thread_split import split_thread

        context = from_typer(ctx)
        post = find_post(context, post_ref)
        # No control or bidi character is ever sent (a macro may quote the customer's name): the review
        # below shows exactly the text that leaves.
        body = clean(build_reply_text(context, post, text, macro, _parse_prompts(prompt or [])))
        prefix = "" if dm else compose.reply_prefix(post.network, [post.author_handle], own=(post.account,))
        if compose.with_prefix(prefix, body) == body.strip():
            prefix = ""  # the agent already wrote the mentions
        network = post.network
        # The account's own server's rules, as sync or `accounts test` last read them.
        limit, url_weight = context.store.limits(post.account) or (None, None)
        parts = [compose.with_prefix(prefix, body)]
        cw = post.content_warning  # a Mastodon reply carries the customer's, and the server counts it
        result = compose.check(parts[0], network, limit, url_weight, cw)
        if result.over:
            if not split or dm:
                over = f"{-result.remaining} over" if result.count > result.limit else "over the byte limit"
                raise UserError(
                    f"the reply is {result.count}/{result.limit} ({over}); shorten it or pass --split"
                )
            parts = split_thread(
                body, network, limit, prefix=prefix, url_weight=url_weight, content_warning=cw
            )
        refused = _refusal(context, post, parts[0], dm)
        if refused:
            raise UserError(f"post {post.id} [{post.network}:{post.native_id}]: {refused}")
        from socialdesk.services.audience import reply_audience

        destination = reply_audience(context.store, context.settings.accounts, post, dm) + " to"
        escalated = post.status == "escalated"
        if not as_json or not yes:
            typer.echo(
                clean(
                    f"{destination} @{post.author_handle} on {network} (account {post.account or '-'}), "
                    f"post {post.id} [{post.network}:{post.native_id}]",
                    single_line=True,
                )
            )
            for index, part in enumerate(parts, 1):
                measured = compose.check(part, network, limit, url_weight, cw)
                typer.echo(f"--- part {index}/{len(parts)} · {measured.count}/{measured.limit} ---")
                typer.echo(clean(part))  # what the agent typed; the mentions are clean already
            if escalated:
                typer.echo("(escalated conversation: held until an approver approves it)")
        if not yes and not typer.confirm("Send?", default=False):
            raise typer.Abort()
        outbox = _outbox(context)
        ids = outbox.enqueue(
            post.id,
            parts if len(parts) > 1 else parts[0],
            context.agent.name,
            dm=dm,
            needs_approval=escalated,
            undo_seconds=0,
        )
        if not context.offline and not escalated:
            outbox.delivery.recover()
            outbox.delivery.process_due()
        rows = [outbox.get(i) for i in ids]
        outbox.close()
        if as_json:
            typer.echo(json_dumps([r.as_dict() for r in rows if r is not None]))
        else:
            for row in rows:
                if row is not None:
                    detail = (
                        f" ({row.error})" if row.error else (f" {row.remote_url}" if row.remote_url else "")
                    )
                    typer.echo(clean(f"reply {row.id}: {row.state}{detail}", single_line=True))
        if any(row is None or row.state not in DONE for row in rows):
            raise typer.Exit(1)  # failed, waiting, unknown or needs auth: a script must not read success

    @app.command()
    def outbox(
        ctx: typer.Context,
        action: Annotated[
            str, typer.Argument(help="list, retry, discard or flush (send what is due).")
        ] = "list",
        reply_id: Annotated[Optional[int], typer.Argument(help="The reply (retry, discard).")] = None,  # noqa: UP045
        state: Annotated[Optional[str], typer.Option("--state", help="Only replies in this state.")] = None,  # noqa: UP045
        limit: Annotated[int, typer.Option("--limit", help="How many to list.")] = 50,
        before: Annotated[
            int | None, typer.Option("--before", help="List replies older than this id.")
        ] = None,
        as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    ) -> None:
        """The outbox: list replies and their states, retry or discard one, or flush what is due."""
        if action not in OUTBOX_ACTIONS:
            raise UserError(f"outbox: unknown action {action!r} (use {', '.join(OUTBOX_ACTIONS)})")
        from socialdesk.models import ReplyState

        known = ", ".join(s.value for s in ReplyState)
        if state is not None and state not in known.split(", "):
            raise UserError(f"outbox --state: unknown state {state!r} (known: {known})")
        context = from_typer(ctx)
        box = _outbox(context)
        agent = context.agent.name
        if action in ("retry", "discard"):
            if reply_id is None:
                raise UserError(f"outbox {action}: which reply? (give its id, see `socialdesk outbox list`)")
            if action == "retry":
                count = box.retry(reply_id, agent)
                message = {"reply": reply_id, "action": "retry", "queued": count}
            else:
                box.discard(reply_id, agent)
                message = {"reply": reply_id, "action": "discard"}
            typer.echo(json_dumps(message) if as_json else f"reply {reply_id}: {action} done")
            return
        if action == "flush":
            if context.offline:
                raise UserError("outbox flush: --offline is set; nothing is sent")
            box.delivery.recover()
            events = box.delivery.process_due()
            box.close()
            out = [{"reply": e.reply_id, "state": e.state, "error": e.error} for e in events]
            typer.echo(
                json_dumps(out)
                if as_json
                else "\n".join(f"reply {e['reply']}: {e['state']}" for e in out) or "nothing due"
            )
            return
        rows, more = box.page((state,) if state else (), before, limit)
        if as_json:
            typer.echo(json_dumps({"replies": [r.as_dict() for r in rows], "more": more}))
            return
        for row in rows:
            kind = "DM" if row.dm else "reply"
            part = f" {row.part}/{row.parts}" if row.parts > 1 else ""
            error = f"  ! {clean(row.error, single_line=True)}" if row.error else ""
            typer.echo(
                f"{row.id:>6}  {row.state:<17} {row.network}/{row.account or '-'} {kind}{part} to post "
                f"{row.post_id}: {clean(row.text, single_line=True)[:60]}{error}"
            )
        if more:
            typer.echo(f"(more: --before {rows[-1].id})")
        if not rows:
            typer.echo("the outbox is empty")
