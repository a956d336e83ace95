"""The shared PostgreSQL schema as numbered forward migrations (team/migrate.py applies them).

Conventions every team module relies on (the README's "Team" section explains them):
- Times are epoch seconds (double precision), as in the local cache; leases and presence compare
  with the server's clock, `team_now()`, so desks with skewed clocks agree.
- Every replicated table has `change_xid` (the writing transaction's id) and `change_seq` (a global
  sequence), set by a plain BEFORE row trigger as the row is written (migration 8, `stamp_row`), and
  a NOTIFY on `CHANNEL` carries the table's name once per commit. Desks read by keyset on
  (change_xid, change_seq), only below the oldest transaction still open (team/feed.py), so a row
  committed after a read can never land behind the reader's position; rows from before migration 8
  have change_xid 0 and keep their commit-ordered change_seq.
- Replicated rows are never deleted: ending a claim or a presence is an UPDATE, which the feed carries.
- The audit log is append-only for everyone, enforced by triggers.
"""

from __future__ import annotations

# The channel a commit that changed replicated rows notifies, with the table's name as payload.
CHANNEL = "socialdesk_changes"
# Advisory lock key spaces (the two-int form): (1, 0) serialises migrations, (1, 1) was the change
# stamp's until migration 8. The hub takes its per-account locks with class 2 (team/hub_leases.py,
# the README's "Team" section).
LOCK_CLASS = 1
MIGRATION_LOCK = 0
STAMP_LOCK = 1
# Tables in the change feed, with their key columns (migration 1's stamp trigger found the row by them).
REPLICATED: dict[str, tuple[str, ...]] = {
    "agents": ("name",),
    "conversations": ("id",),
    "posts": ("id",),
    "notes": ("id",),
    "replies": ("id",),
    "claims": ("conversation_id",),
    "presence": ("agent", "conversation_id"),
    "playbooks": ("version",),
    "accounts": ("account",),
    "customer_fields": ("network", "author_native_id", "name"),
    "notices": ("id",),
}
ROLES = ("agent", "approver", "supervisor")
STATUSES = ("new", "open", "pending", "snoozed", "resolved", "escalated")
# Set by the hub's automations only (migration 7): resolved, then quiet; final, as in the cache.
CLOSED = "closed"
REPLY_STATES = (
    "draft",
    "awaiting_approval",
    "queued",
    "sending",
    "sent",
    "waiting",
    "unknown",
    "failed",
    "needs_auth",
    "discarded",
)


# The tables migration 8 moved to the lock-free stamp: frozen here, so a table added to the feed
# later is stamped by its own migration (`feed_stamp`), never by editing this one.
_FEED_AT_8 = ("agents", "conversations", "posts", "notes", "replies", "claims", "presence")


def feed_stamp(table: str) -> str:
    """The SQL that puts `table` (with columns `change_xid xid8`, `change_seq bigint`) in the feed."""
    return f"""
    CREATE INDEX {table}_change ON {table} (change_xid, change_seq);
    CREATE TRIGGER {table}_change BEFORE INSERT OR UPDATE ON {table}
        FOR EACH ROW EXECUTE FUNCTION stamp_row();"""


def _lock_free_stamps() -> str:
    """Migration 8's move of each table from the commit-time stamp to `stamp_row`."""
    return "".join(
        f"""
    DROP TRIGGER {table}_change ON {table};
    DROP INDEX {table}_change_seq;
    ALTER TABLE {table} ADD COLUMN change_xid xid8 NOT NULL DEFAULT '0';{feed_stamp(table)}"""
        for table in _FEED_AT_8
    )


def _in(values: tuple[str, ...]) -> str:
    return ", ".join(f"'{v}'" for v in values)


def _stamp_triggers() -> str:
    return "\n".join(
        f"""
    CREATE CONSTRAINT TRIGGER {table}_change AFTER INSERT OR UPDATE ON {table}
        DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
        WHEN (current_setting('socialdesk.restamping', true) IS DISTINCT FROM 'on')
        EXECUTE FUNCTION stamp_change({", ".join(f"'{c}'" for c in keys)});
    CREATE INDEX {table}_change_seq ON {table} (change_seq);"""
        for table, keys in ((t, REPLICATED[t]) for t in _FEED_AT_8)  # migration 1's tables, frozen
    )


# Each entry migrates from version i to i + 1. Never edit a released migration: append a new one.
MIGRATIONS: list[str] = [
    # 1: the shared schema: agents, conversations and their posts, notes, the shared outbox, claims,
    # presence, the audit log, sync cursors and hub leases; the change feed over the replicated ones
    f"""
    CREATE FUNCTION team_now() RETURNS double precision LANGUAGE sql VOLATILE
        AS $$ SELECT extract(epoch FROM clock_timestamp())::double precision $$;

    CREATE SEQUENCE change_seq AS bigint;

    -- Stamps a changed row with the next change_seq when its transaction commits (a deferred
    -- constraint trigger), holding one advisory lock from the first stamp to the end of the commit:
    -- so change_seq order is commit order, and a desk that has read up to N can never later find a
    -- row below N committed after it read (a sequence value taken mid-transaction could).
    CREATE FUNCTION stamp_change() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
        cond text := '';
        i int;
    BEGIN
        PERFORM pg_advisory_xact_lock({LOCK_CLASS}, {STAMP_LOCK});
        FOR i IN 0 .. TG_NARGS - 1 LOOP
            cond := cond || CASE WHEN i > 0 THEN ' AND ' ELSE '' END
                || format('%I = ($1).%I', TG_ARGV[i], TG_ARGV[i]);
        END LOOP;
        PERFORM set_config('socialdesk.restamping', 'on', true);
        EXECUTE format('UPDATE %I.%I SET change_seq = nextval(''change_seq'') WHERE %s',
                       TG_TABLE_SCHEMA, TG_TABLE_NAME, cond) USING NEW;
        PERFORM set_config('socialdesk.restamping', 'off', true);
        PERFORM pg_notify('{CHANNEL}', TG_TABLE_NAME);
        RETURN NULL;
    END $$;

    CREATE TABLE agents (
        name text PRIMARY KEY,
        role text NOT NULL DEFAULT 'agent' CHECK (role IN ({_in(ROLES)})),
        display_name text NOT NULL DEFAULT '',
        active boolean NOT NULL DEFAULT true,
        created_at double precision NOT NULL DEFAULT team_now(),
        change_seq bigint NOT NULL DEFAULT 0
    );

    -- One row per conversation (network + conversation_id, or the post's own id when it starts
    -- none): the queue state the whole team shares.
    CREATE TABLE conversations (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        network text NOT NULL,
        key text NOT NULL,
        account text NOT NULL DEFAULT '',
        status text NOT NULL DEFAULT 'new' CHECK (status IN ({_in(STATUSES)})),
        priority integer NOT NULL DEFAULT 1 CHECK (priority BETWEEN 0 AND 3),
        assigned_to text NOT NULL DEFAULT '',
        tags text[] NOT NULL DEFAULT '{{}}',
        due_at double precision,
        snoozed_until double precision,
        first_response_at double precision,
        last_post_at double precision NOT NULL DEFAULT 0,
        created_at double precision NOT NULL DEFAULT team_now(),
        updated_at double precision NOT NULL DEFAULT team_now(),
        updated_by text NOT NULL DEFAULT '',
        change_seq bigint NOT NULL DEFAULT 0,
        UNIQUE (network, key)
    );
    -- The claimable queue in order: priority first, then the SLA due time, then age.
    CREATE INDEX conversations_queue ON conversations (status, priority DESC, due_at, created_at, id);
    CREATE INDEX conversations_assignee ON conversations (assigned_to, status);

    -- The local cache's posts columns, keyed by network + native id; per-post triage stays here.
    CREATE TABLE posts (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        conversation_id bigint NOT NULL REFERENCES conversations(id),
        network text NOT NULL,
        native_id text NOT NULL,
        account text NOT NULL DEFAULT '',
        author_native_id text NOT NULL,
        author_handle text NOT NULL,
        author_name text NOT NULL DEFAULT '',
        text text NOT NULL,
        created_at double precision NOT NULL,
        url text NOT NULL DEFAULT '',
        in_reply_to text,
        thread_id text,
        kind text NOT NULL DEFAULT 'mention',
        lang text NOT NULL DEFAULT '',
        is_ours boolean NOT NULL DEFAULT false,
        content_warning text NOT NULL DEFAULT '',
        raw text NOT NULL DEFAULT '{{}}',
        fetched_at double precision NOT NULL,
        edited_at double precision,
        deleted_at double precision,
        priority integer NOT NULL DEFAULT 1,
        sentiment double precision,
        sentiment_label text NOT NULL DEFAULT '',
        intent text NOT NULL DEFAULT '',
        actionable boolean NOT NULL DEFAULT true,
        corrected integer NOT NULL DEFAULT 0,
        tags text[] NOT NULL DEFAULT '{{}}',
        change_seq bigint NOT NULL DEFAULT 0,
        UNIQUE (network, native_id)
    );
    CREATE INDEX posts_conversation ON posts (conversation_id, created_at);

    CREATE TABLE notes (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        conversation_id bigint NOT NULL REFERENCES conversations(id),
        post_id bigint REFERENCES posts(id),
        agent text NOT NULL,
        text text NOT NULL,
        created_at double precision NOT NULL DEFAULT team_now(),
        change_seq bigint NOT NULL DEFAULT 0
    );
    CREATE INDEX notes_conversation ON notes (conversation_id);

    -- The shared outbox: the local replies table's columns and states (services/outbox.py), plus
    -- which hub is sending a row (a row is `sending` in a committed transaction before the network
    -- call, exactly as locally).
    CREATE TABLE replies (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        post_id bigint REFERENCES posts(id),
        conversation_id bigint REFERENCES conversations(id),
        network text NOT NULL,
        account text NOT NULL DEFAULT '',
        text text NOT NULL,
        dm boolean NOT NULL DEFAULT false,
        state text NOT NULL CHECK (state IN ({_in(REPLY_STATES)})),
        idempotency_key text NOT NULL UNIQUE,
        agent text NOT NULL DEFAULT '',
        approved_by text NOT NULL DEFAULT '',
        remote_id text,
        remote_url text NOT NULL DEFAULT '',
        remote_refs text NOT NULL DEFAULT '{{}}',
        error text NOT NULL DEFAULT '',
        attempts integer NOT NULL DEFAULT 0,
        group_key text,
        part integer NOT NULL DEFAULT 1,
        parts integer NOT NULL DEFAULT 1,
        send_after double precision,
        next_attempt_at double precision,
        first_attempt_at double precision,
        sending_hub text NOT NULL DEFAULT '',
        created_at double precision NOT NULL DEFAULT team_now(),
        updated_at double precision NOT NULL DEFAULT team_now(),
        change_seq bigint NOT NULL DEFAULT 0
    );
    CREATE INDEX replies_state ON replies (state, account, id);
    CREATE INDEX replies_post ON replies (post_id);
    CREATE INDEX replies_conversation ON replies (conversation_id);

    -- Who works a conversation right now: one row per conversation, so two agents never hold one.
    -- A claim is live while lease_until > team_now(); released claims keep their row (agent '').
    CREATE TABLE claims (
        conversation_id bigint PRIMARY KEY REFERENCES conversations(id),
        agent text NOT NULL DEFAULT '',
        claimed_at double precision NOT NULL DEFAULT team_now(),
        lease_until double precision NOT NULL DEFAULT 0,
        change_seq bigint NOT NULL DEFAULT 0
    );
    CREATE INDEX claims_agent ON claims (agent, lease_until);

    -- Who is viewing or typing on a conversation, until when (a heartbeat moves `until`).
    CREATE TABLE presence (
        agent text NOT NULL,
        conversation_id bigint NOT NULL REFERENCES conversations(id),
        activity text NOT NULL CHECK (activity IN ('viewing', 'typing')),
        until double precision NOT NULL,
        change_seq bigint NOT NULL DEFAULT 0,
        PRIMARY KEY (agent, conversation_id)
    );
    CREATE INDEX presence_conversation ON presence (conversation_id, until);

    -- Append-only for everyone (the triggers below); not in the change feed: read by id.
    CREATE TABLE audit (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        at double precision NOT NULL DEFAULT team_now(),
        agent text NOT NULL,
        action text NOT NULL,
        conversation_id bigint,
        post_id bigint,
        detail jsonb NOT NULL DEFAULT '{{}}'
    );
    CREATE INDEX audit_conversation ON audit (conversation_id);
    CREATE INDEX audit_action_time ON audit (action, at);
    CREATE FUNCTION audit_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION 'the audit log is append-only: % refused', TG_OP
            USING ERRCODE = 'insufficient_privilege';
    END $$;
    CREATE TRIGGER audit_append_only BEFORE UPDATE OR DELETE ON audit
        FOR EACH ROW EXECUTE FUNCTION audit_is_append_only();
    CREATE TRIGGER audit_no_truncate BEFORE TRUNCATE ON audit
        FOR EACH STATEMENT EXECUTE FUNCTION audit_is_append_only();

    -- The hub's sync position per account and stream (as the local cursors table).
    CREATE TABLE cursors (
        source text NOT NULL,
        stream text NOT NULL DEFAULT '',
        cursor text,
        updated_at double precision NOT NULL DEFAULT team_now(),
        PRIMARY KEY (source, stream)
    );

    -- Which hub leads each account, until when; `epoch` grows at every takeover (a fencing token).
    CREATE TABLE hub_leases (
        account text PRIMARY KEY,
        holder text NOT NULL,
        epoch bigint NOT NULL DEFAULT 1,
        acquired_at double precision NOT NULL DEFAULT team_now(),
        lease_until double precision NOT NULL
    );
    {_stamp_triggers()}
    """,
    # 2: claim-next reads the claimable queue in order from its own partial index, instead of
    # sorting every new and open conversation on each claim
    """
    CREATE INDEX conversations_claimable ON conversations (priority DESC, due_at, created_at, id)
        WHERE status IN ('new', 'open');
    """,
    # 3: claim-next as one server-side call (one round trip and its own commit, instead of six
    # statements between BEGIN and COMMIT): the first claimable conversation in queue order, locked
    # with SKIP LOCKED, taken with an upsert that only succeeds on a claims row nobody holds live,
    # assigned and audited; a lost race (a claim committed after this statement's snapshot) looks
    # again with a fresh one. The caller checks the agent's role first (team/roles.py).
    """
    CREATE FUNCTION team_claim_next(p_agent text, p_lease double precision)
    RETURNS TABLE (claimed_id bigint, claimed_until double precision, claimed_from text)
    LANGUAGE plpgsql AS $$
    DECLARE
        candidate bigint;
        previous text;
        until double precision;
    BEGIN
        FOR attempt IN 1 .. 8 LOOP
            SELECT c.id, coalesce(k.agent, '') INTO candidate, previous
            FROM conversations c
            LEFT JOIN claims k ON k.conversation_id = c.id
            WHERE c.status IN ('new', 'open')
              AND (k.conversation_id IS NULL OR k.agent = '' OR k.lease_until <= team_now())
              AND (c.assigned_to IN ('', p_agent)
                   OR (k.agent = c.assigned_to AND k.lease_until <= team_now()))
            ORDER BY c.priority DESC, c.due_at ASC NULLS LAST, c.created_at, c.id
            LIMIT 1
            FOR UPDATE OF c SKIP LOCKED;
            IF NOT FOUND THEN
                RETURN;
            END IF;
            until := NULL;
            INSERT INTO claims AS k (conversation_id, agent, claimed_at, lease_until)
            VALUES (candidate, p_agent, team_now(), team_now() + p_lease)
            ON CONFLICT (conversation_id) DO UPDATE
                SET agent = EXCLUDED.agent, claimed_at = EXCLUDED.claimed_at,
                    lease_until = EXCLUDED.lease_until
                WHERE k.agent IN ('', EXCLUDED.agent) OR k.lease_until <= team_now()
            RETURNING k.lease_until INTO until;
            IF until IS NOT NULL THEN
                UPDATE conversations
                SET assigned_to = p_agent,
                    status = CASE WHEN status = 'new' THEN 'open' ELSE status END,
                    updated_at = team_now(), updated_by = p_agent
                WHERE id = candidate;
                IF previous = p_agent THEN
                    previous := '';
                END IF;
                INSERT INTO audit (agent, action, conversation_id, detail)
                VALUES (p_agent, 'claim', candidate,
                        jsonb_build_object('lease', p_lease, 'taken_over_from', previous));
                claimed_id := candidate;
                claimed_until := until;
                claimed_from := previous;
                RETURN NEXT;
                RETURN;
            END IF;
        END LOOP;
    END $$;
    """,
    # 4: the hub's shared outbox: the lease epoch of the hub that marked a reply `sending` (a new
    # leader recovers the sends of earlier epochs), and `scheduled` as in the local outbox (a reply
    # the agent timed holds back no other)
    """
    ALTER TABLE replies ADD COLUMN sending_epoch bigint NOT NULL DEFAULT 0;
    ALTER TABLE replies ADD COLUMN scheduled boolean NOT NULL DEFAULT false;
    CREATE INDEX replies_account_state ON replies (account, state, id);
    """,
    # 5: a note carries the key its desk gave it, so a note replayed after a lost answer (or from the
    # offline journal) is stored once; notes written before this have none
    """
    ALTER TABLE notes ADD COLUMN key text;
    CREATE UNIQUE INDEX notes_key ON notes (key);
    """,
    # 6: claim-next no longer reads past every conversation a colleague holds or was assigned (they
    # stay new or open, so they stayed in the claimable index, and each claim walked past all of
    # them): the unassigned queue has its own index; this agent's own assignments and conversations
    # whose holder's lease lapsed (few) are found by theirs; the first of the two in queue order
    # wins. Claims are looked up per candidate (a join could read the whole claims table), and the
    # clock is read once per attempt (a volatile team_now() cannot bound an index scan).
    """
    CREATE INDEX conversations_unassigned ON conversations (priority DESC, due_at, created_at, id)
        WHERE status IN ('new', 'open') AND assigned_to = '';
    CREATE INDEX claims_lapsing ON claims (lease_until) WHERE agent <> '';
    CREATE OR REPLACE FUNCTION team_claim_next(p_agent text, p_lease double precision)
    RETURNS TABLE (claimed_id bigint, claimed_until double precision, claimed_from text)
    LANGUAGE plpgsql AS $$
    DECLARE
        now_ double precision;
        own record;
        queue record;
        candidate bigint;
        previous text;
        until double precision;
    BEGIN
        FOR attempt IN 1 .. 8 LOOP
            now_ := team_now();
            -- this agent's own assignments, and conversations whose holder's lease lapsed
            SELECT c.id, c.priority, c.due_at, c.created_at,
                   coalesce((SELECT k.agent FROM claims k WHERE k.conversation_id = c.id), '') AS agent
            INTO own
            FROM conversations c
            WHERE (c.assigned_to = p_agent
                   OR c.id = ANY (ARRAY(SELECT l.conversation_id FROM claims l
                                        WHERE l.agent <> '' AND l.lease_until <= now_)))
              AND c.status IN ('new', 'open')
              AND NOT EXISTS (SELECT 1 FROM claims k WHERE k.conversation_id = c.id
                              AND k.agent <> '' AND k.lease_until > now_)
              AND (c.assigned_to = p_agent
                   OR EXISTS (SELECT 1 FROM claims k WHERE k.conversation_id = c.id
                              AND k.agent = c.assigned_to AND k.lease_until <= now_))
            ORDER BY c.priority DESC, c.due_at ASC NULLS LAST, c.created_at, c.id
            LIMIT 1
            FOR UPDATE OF c SKIP LOCKED;
            -- the unassigned queue, in order, from its own index
            SELECT c.id, c.priority, c.due_at, c.created_at,
                   coalesce((SELECT k.agent FROM claims k WHERE k.conversation_id = c.id), '') AS agent
            INTO queue
            FROM conversations c
            WHERE c.status IN ('new', 'open') AND c.assigned_to = ''
              AND NOT EXISTS (SELECT 1 FROM claims k WHERE k.conversation_id = c.id
                              AND k.agent <> '' AND k.lease_until > now_)
            ORDER BY c.priority DESC, c.due_at ASC NULLS LAST, c.created_at, c.id
            LIMIT 1
            FOR UPDATE OF c SKIP LOCKED;
            IF own.id IS NULL AND queue.id IS NULL THEN
                RETURN;
            END IF;
            -- queue order: priority first (highest), then due time (none last), then age
            IF own.id IS NULL OR (queue.id IS NOT NULL AND
                (-queue.priority, coalesce(queue.due_at, 'infinity'), queue.created_at, queue.id)
                < (-own.priority, coalesce(own.due_at, 'infinity'), own.created_at, own.id)) THEN
                candidate := queue.id;
                previous := queue.agent;
            ELSE
                candidate := own.id;
                previous := own.agent;
            END IF;
            until := NULL;
            INSERT INTO claims AS k (conversation_id, agent, claimed_at, lease_until)
            VALUES (candidate, p_agent, team_now(), team_now() + p_lease)
            ON CONFLICT (conversation_id) DO UPDATE
                SET agent = EXCLUDED.agent, claimed_at = EXCLUDED.claimed_at,
                    lease_until = EXCLUDED.lease_until
                WHERE k.agent IN ('', EXCLUDED.agent) OR k.lease_until <= team_now()
            RETURNING k.lease_until INTO until;
            IF until IS NOT NULL THEN
                UPDATE conversations
                SET assigned_to = p_agent,
                    status = CASE WHEN status = 'new' THEN 'open' ELSE status END,
                    updated_at = team_now(), updated_by = p_agent
                WHERE id = candidate;
                IF previous = p_agent THEN
                    previous := '';
                END IF;
                INSERT INTO audit (agent, action, conversation_id, detail)
                VALUES (p_agent, 'claim', candidate,
                        jsonb_build_object('lease', p_lease, 'taken_over_from', previous));
                claimed_id := candidate;
                claimed_until := until;
                claimed_from := previous;
                RETURN NEXT;
                RETURN;
            END IF;
        END LOOP;
    END $$;
    """,
    # 7: the playbook's automations run in the hub for the team (hub/automations.py): a conversation
    # may be closed (resolved, then quiet: final, as in the cache); `status_at` says when its status
    # last changed (NULL before this: its `updated_at`, never earlier, stands in); and each firing
    # is claimed once per automation, conversation and condition, in the transaction of its changes
    f"""
    ALTER TABLE conversations DROP CONSTRAINT conversations_status_check;
    ALTER TABLE conversations ADD CONSTRAINT conversations_status_check
        CHECK (status IN ({_in(STATUSES)}, 'closed'));
    ALTER TABLE conversations ADD COLUMN status_at double precision;
    CREATE FUNCTION conversation_status_at() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF NEW.status IS DISTINCT FROM OLD.status THEN
            NEW.status_at := team_now();
        END IF;
        RETURN NEW;
    END $$;
    CREATE TRIGGER conversations_status_at BEFORE UPDATE OF status ON conversations
        FOR EACH ROW EXECUTE FUNCTION conversation_status_at();
    CREATE INDEX conversations_waiting ON conversations (status) WHERE status IN ('new', 'open', 'escalated');
    CREATE INDEX conversations_snoozed ON conversations (snoozed_until) WHERE status = 'snoozed';
    CREATE INDEX conversations_resolved ON conversations (id) WHERE status = 'resolved';

    CREATE TABLE automation_runs (
        automation text NOT NULL,
        conversation_id bigint NOT NULL REFERENCES conversations(id),
        instance text NOT NULL,
        post_id bigint REFERENCES posts(id),
        at double precision NOT NULL,
        hub text NOT NULL DEFAULT '',
        did text NOT NULL DEFAULT '',
        PRIMARY KEY (automation, conversation_id, instance)
    );
    CREATE INDEX automation_runs_conversation ON automation_runs (conversation_id);
    """,
    # 8: the change feed no longer serialises commits. Migration 1 stamped rows at COMMIT under one
    # advisory lock (held through the commit's WAL flush) and re-UPDATEd each row, so every commit that
    # touched a replicated table queued behind every other one. Now a plain BEFORE row trigger stamps
    # the row as it is written with its transaction's id (pg_current_xact_id: the top-level one, even
    # in a subtransaction) and a sequence number, with no lock and no second write; readers take only
    # rows whose transaction is below the oldest one still open (pg_snapshot_xmin of the statement's
    # snapshot: every transaction below it has ended, so nothing can appear below it later), in
    # (change_xid, change_seq) order. Rows written before keep change_xid 0 and their commit-ordered
    # change_seq, so a desk's position (0, n) from before goes on exactly where it was.
    f"""
    CREATE FUNCTION stamp_row() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        NEW.change_xid := pg_current_xact_id();
        NEW.change_seq := nextval('change_seq');
        PERFORM pg_notify('{CHANNEL}', TG_TABLE_NAME);
        RETURN NEW;
    END $$;
    {_lock_free_stamps()}
    DROP FUNCTION stamp_change();
    """,
    # 9: the team's canned replies (team/playbook.py): each version a supervisor publishes is one row,
    # never changed, the whole set at once (so a desk holds one set, never half of two); versions are
    # numbered in commit order (a push locks the table), the newest is the team's set
    f"""
    CREATE TABLE playbooks (
        version bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        macros jsonb NOT NULL,
        dm_template jsonb NOT NULL DEFAULT '{{}}',
        source text NOT NULL DEFAULT '',
        sha256 text NOT NULL,
        pushed_by text NOT NULL,
        pushed_at double precision NOT NULL DEFAULT team_now(),
        change_xid xid8 NOT NULL DEFAULT '0',
        change_seq bigint NOT NULL DEFAULT 0
    );
    {feed_stamp("playbooks")}
    """,
    # 10: what the hub learns of each account that desks cannot (they never talk to the networks):
    # the limits its server announced (Mastodon's max_characters, characters_reserved_per_url; NULL
    # until one is announced) and whether the network refused the hub's credentials, and why
    # (team/accounts.py; written only when something changed, so a sync adds no feed row)
    f"""
    CREATE TABLE accounts (
        account text PRIMARY KEY,
        network text NOT NULL,
        max_length integer,
        url_weight integer NOT NULL DEFAULT 0,
        refused text NOT NULL DEFAULT '',
        refused_at double precision,
        hub text NOT NULL DEFAULT '',
        updated_at double precision NOT NULL DEFAULT team_now(),
        change_xid xid8 NOT NULL DEFAULT '0',
        change_seq bigint NOT NULL DEFAULT 0
    );
    {feed_stamp("accounts")}
    """,
    # 11: the fields agents keep on a customer (e-mail, order number, CRM id: services/profile.py),
    # for the whole team, by the customer's identity on a network (the post author's native id);
    # a removed field keeps its row with value '' (replicated rows are never deleted)
    f"""
    CREATE TABLE customer_fields (
        network text NOT NULL,
        author_native_id text NOT NULL,
        name text NOT NULL,
        value text NOT NULL,
        updated_at double precision NOT NULL DEFAULT team_now(),
        updated_by text NOT NULL,
        change_xid xid8 NOT NULL DEFAULT '0',
        change_seq bigint NOT NULL DEFAULT 0,
        PRIMARY KEY (network, author_native_id, name)
    );
    {feed_stamp("customer_fields")}
    """,
    # 12: one status our accounts see under several ids (two Mastodon servers give it two) is one
    # post for the team whichever hub leads (team/post_aliases.py): `post_uris` keeps the identity it
    # was first published under, `post_aliases` each other id an account of ours knows it by; the
    # hubs' own, written in the leader's fenced page transaction, so not in the change feed. The
    # statuses already stored are recorded from their payload (a Mastodon notification or status).
    # `accounts.epoch`: the hub lease epoch that last wrote the row (the write is fenced)
    """
    CREATE TABLE post_uris (
        network text NOT NULL,
        uri text NOT NULL,
        native_id text NOT NULL,
        account text NOT NULL,
        PRIMARY KEY (network, uri)
    );
    CREATE TABLE post_aliases (
        network text NOT NULL,
        native_id text NOT NULL,
        account text NOT NULL,
        uri text NOT NULL,
        PRIMARY KEY (network, native_id),
        FOREIGN KEY (network, uri) REFERENCES post_uris (network, uri)
    );
    CREATE OR REPLACE FUNCTION pg_temp.status_uri(raw text) RETURNS text LANGUAGE plpgsql AS $$
    DECLARE doc jsonb;
    BEGIN
        doc := raw::jsonb;
        RETURN coalesce(doc -> 'status' ->> 'uri', doc ->> 'uri');
    EXCEPTION WHEN others THEN
        RETURN NULL;  -- a payload that is not JSON (none of ours) has no uri to keep
    END $$;
    CREATE TEMPORARY TABLE known_uris ON COMMIT DROP AS
        SELECT id, network, native_id, account, pg_temp.status_uri(raw) AS uri FROM posts
        WHERE raw LIKE '%"uri"%';
    INSERT INTO post_uris (network, uri, native_id, account)
        SELECT DISTINCT ON (network, uri) network, uri, native_id, account FROM known_uris
        WHERE uri IS NOT NULL ORDER BY network, uri, id;
    INSERT INTO post_aliases (network, native_id, account, uri)
        SELECT k.network, k.native_id, k.account, k.uri
        FROM known_uris k JOIN post_uris u USING (network, uri) WHERE k.native_id <> u.native_id
        ON CONFLICT DO NOTHING;
    ALTER TABLE accounts ADD COLUMN epoch bigint NOT NULL DEFAULT 0;
    """,
    # 13: notices for the agents (an automation's `notify`, fired by a hub for the team: team/notices.py),
    # so every desk sees the same ones; `key` names the firing and audience, so a notice is raised
    # once however often its firing is asked again; audience "desk" is everyone, else an agent's name
    f"""
    CREATE TABLE notices (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        key text NOT NULL UNIQUE,
        post_id bigint REFERENCES posts(id),
        audience text NOT NULL,
        origin text NOT NULL,
        at double precision NOT NULL DEFAULT team_now(),
        change_xid xid8 NOT NULL DEFAULT '0',
        change_seq bigint NOT NULL DEFAULT 0
    );
    {feed_stamp("notices")}
    """,
]

SCHEMA_VERSION = len(MIGRATIONS)
