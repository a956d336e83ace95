"""The cache's schema as numbered forward migrations (applied by store/migrate.py)."""

from __future__ import annotations

# Opening a cache at this version runs no migration, so it never builds their SQL (`migrations()`).
# A new migration is appended to `migrations()` and counted here (a test keeps the two in step).
SCHEMA_VERSION = 41

# Migrations 1 to 29, written out. Never edit a released migration: append a new one.
_WRITTEN: tuple[str, ...] = (
    # 1: posts, customers, identities, FTS, cursors, quarantine, drafts, outbox, notes, audit
    """
    CREATE TABLE customers (
        id INTEGER PRIMARY KEY,
        display_name TEXT NOT NULL DEFAULT '',
        first_seen REAL NOT NULL,
        vip INTEGER NOT NULL DEFAULT 0
    );
    CREATE TABLE identities (
        id INTEGER PRIMARY KEY,
        customer_id INTEGER NOT NULL REFERENCES customers(id),
        network TEXT NOT NULL,
        native_id TEXT NOT NULL,
        handle TEXT NOT NULL,
        display_name TEXT NOT NULL DEFAULT '',
        followers INTEGER NOT NULL DEFAULT 0,
        first_seen REAL NOT NULL,
        UNIQUE (network, native_id)
    );
    CREATE INDEX identities_customer ON identities (customer_id);
    CREATE INDEX identities_handle ON identities (handle COLLATE NOCASE);
    CREATE TABLE posts (
        id INTEGER PRIMARY KEY,
        network TEXT NOT NULL,
        native_id TEXT NOT NULL,
        account TEXT NOT NULL DEFAULT '',
        author_native_id TEXT NOT NULL,
        author_handle TEXT NOT NULL,
        author_name TEXT NOT NULL DEFAULT '',
        customer_id INTEGER REFERENCES customers(id),
        text TEXT NOT NULL,
        created_at REAL NOT NULL,
        url TEXT NOT NULL DEFAULT '',
        in_reply_to TEXT,
        conversation_id TEXT,
        kind TEXT NOT NULL DEFAULT 'mention',
        lang TEXT NOT NULL DEFAULT '',
        is_ours INTEGER NOT NULL DEFAULT 0,
        content_warning TEXT NOT NULL DEFAULT '',
        raw TEXT NOT NULL DEFAULT '{}',
        fetched_at REAL NOT NULL,
        status TEXT NOT NULL DEFAULT 'new',
        priority INTEGER NOT NULL DEFAULT 1,
        sentiment REAL,
        sentiment_label TEXT NOT NULL DEFAULT '',
        intent TEXT NOT NULL DEFAULT '',
        actionable INTEGER NOT NULL DEFAULT 1,
        assigned_to TEXT NOT NULL DEFAULT '',
        due_at REAL,
        snoozed_until REAL,
        first_response_at REAL,
        UNIQUE (network, native_id)
    );
    CREATE INDEX posts_feed ON posts (created_at, id);
    CREATE INDEX posts_customer ON posts (customer_id, created_at);
    CREATE INDEX posts_conversation ON posts (network, conversation_id);
    CREATE INDEX posts_parent ON posts (network, in_reply_to);
    CREATE INDEX posts_queue ON posts (status, priority, created_at);
    CREATE TABLE post_tags (
        post_id INTEGER NOT NULL REFERENCES posts(id),
        tag TEXT NOT NULL,
        PRIMARY KEY (post_id, tag)
    ) WITHOUT ROWID;
    CREATE INDEX post_tags_tag ON post_tags (tag, post_id);
    CREATE VIRTUAL TABLE posts_fts USING fts5 (
        text, author_handle, author_name,
        content='posts', content_rowid='id',
        tokenize='unicode61 remove_diacritics 2'
    );
    CREATE TRIGGER posts_fts_insert AFTER INSERT ON posts BEGIN
        INSERT INTO posts_fts (rowid, text, author_handle, author_name)
        VALUES (new.id, new.text, new.author_handle, new.author_name);
    END;
    CREATE TRIGGER posts_fts_delete AFTER DELETE ON posts BEGIN
        INSERT INTO posts_fts (posts_fts, rowid, text, author_handle, author_name)
        VALUES ('delete', old.id, old.text, old.author_handle, old.author_name);
    END;
    CREATE TRIGGER posts_fts_update AFTER UPDATE OF text, author_handle, author_name ON posts BEGIN
        INSERT INTO posts_fts (posts_fts, rowid, text, author_handle, author_name)
        VALUES ('delete', old.id, old.text, old.author_handle, old.author_name);
        INSERT INTO posts_fts (rowid, text, author_handle, author_name)
        VALUES (new.id, new.text, new.author_handle, new.author_name);
    END;
    CREATE TABLE cursors (
        source TEXT NOT NULL,
        stream TEXT NOT NULL DEFAULT '',
        cursor TEXT,
        updated_at REAL NOT NULL,
        PRIMARY KEY (source, stream)
    );
    CREATE TABLE quarantine (
        id INTEGER PRIMARY KEY,
        source TEXT NOT NULL,
        error TEXT NOT NULL,
        raw TEXT NOT NULL,
        at REAL NOT NULL
    );
    CREATE TABLE drafts (
        post_id INTEGER PRIMARY KEY,
        text TEXT NOT NULL,
        updated_at REAL NOT NULL
    );
    CREATE TABLE replies (
        id INTEGER PRIMARY KEY,
        post_id INTEGER REFERENCES posts(id),
        network TEXT NOT NULL,
        account TEXT NOT NULL DEFAULT '',
        text TEXT NOT NULL,
        dm INTEGER NOT NULL DEFAULT 0,
        state TEXT NOT NULL,
        idempotency_key TEXT NOT NULL UNIQUE,
        agent TEXT NOT NULL DEFAULT '',
        approved_by TEXT NOT NULL DEFAULT '',
        remote_id TEXT,
        remote_url TEXT NOT NULL DEFAULT '',
        error TEXT NOT NULL DEFAULT '',
        attempts INTEGER NOT NULL DEFAULT 0,
        group_key TEXT,
        part INTEGER NOT NULL DEFAULT 1,
        parts INTEGER NOT NULL DEFAULT 1,
        send_after REAL,
        next_attempt_at REAL,
        created_at REAL NOT NULL,
        updated_at REAL NOT NULL
    );
    CREATE INDEX replies_state ON replies (state, account, id);
    CREATE INDEX replies_post ON replies (post_id);
    CREATE TABLE notes (
        id INTEGER PRIMARY KEY,
        post_id INTEGER NOT NULL REFERENCES posts(id),
        agent TEXT NOT NULL,
        text TEXT NOT NULL,
        created_at REAL NOT NULL
    );
    CREATE INDEX notes_post ON notes (post_id);
    CREATE TABLE audit (
        id INTEGER PRIMARY KEY,
        at REAL NOT NULL,
        agent TEXT NOT NULL,
        action TEXT NOT NULL,
        post_id INTEGER,
        detail TEXT NOT NULL DEFAULT '{}'
    );
    CREATE INDEX audit_post ON audit (post_id);
    """,
    # 2: outbox bookkeeping: when a reply was first handed to the network (bounds how long a
    # server-side idempotency key still protects a resend)
    """
    ALTER TABLE replies ADD COLUMN first_attempt_at REAL;
    """,
    # 3: triage queue: queue order (priority desc, SLA, age) as ascending virtual columns with an
    # index, so keyset row-value comparisons become index range searches (an expression index only
    # scans); a covering index for saved-queue counts; and which fields an agent corrected
    # (bit 1 sentiment, bit 2 intent) so re-classification never overwrites them
    """
    ALTER TABLE posts ADD COLUMN queue_rank INTEGER GENERATED ALWAYS AS (-priority) VIRTUAL;
    ALTER TABLE posts ADD COLUMN queue_due REAL GENERATED ALWAYS AS (IFNULL(due_at, 1e18)) VIRTUAL;
    CREATE INDEX posts_queue_order ON posts (queue_rank, queue_due, created_at, id);
    CREATE INDEX posts_queue_counts
        ON posts (status, actionable, is_ours, assigned_to, intent, sentiment_label);
    CREATE INDEX posts_due ON posts (status, due_at);
    ALTER TABLE posts ADD COLUMN corrected INTEGER NOT NULL DEFAULT 0;
    """,
    # 4: a new author is matched to a known customer by display name (then handle): without an
    # index every new author scanned all identities, so a first sync grew quadratically
    """
    CREATE INDEX identities_name ON identities (display_name);
    """,
    # 5: nothing stale: when a post was last edited, when we learnt it was deleted, and how far back
    # each source's first sync reached (see FetchResult.reached)
    """
    ALTER TABLE posts ADD COLUMN edited_at REAL;
    ALTER TABLE posts ADD COLUMN deleted_at REAL;
    CREATE TABLE source_reach (
        source TEXT PRIMARY KEY,
        reached REAL NOT NULL,
        updated_at REAL NOT NULL
    );
    """,
    # 6: what the network returned about a sent reply beyond its id (JSON; Bluesky: the record's
    # cid and thread root), so the next part of a thread chains to it without reading an index
    """
    ALTER TABLE replies ADD COLUMN remote_refs TEXT NOT NULL DEFAULT '{}';
    """,
    # 7: metrics read one period at a time: replies by state and when they changed (sent), status
    # changes by action and time
    """
    CREATE INDEX replies_state_time ON replies (state, updated_at);
    CREATE INDEX audit_action_time ON audit (action, at);
    """,
    # 8: every playbook version the desk or sync accepted (its text: the last good one is what they
    # fall back on when the file is broken; the audit log says who loaded which, with a diff)
    """
    CREATE TABLE playbooks (
        id INTEGER PRIMARY KEY,
        at REAL NOT NULL,
        agent TEXT NOT NULL,
        source TEXT NOT NULL,
        sha256 TEXT NOT NULL,
        text TEXT NOT NULL
    );
    """,
    # 9: each account's server limits as the server announced them (Mastodon's max_characters and
    # characters_reserved_per_url), for the composer and `socialdesk reply`
    """
    CREATE TABLE account_limits (
        account TEXT PRIMARY KEY,
        max_length INTEGER NOT NULL,
        url_weight INTEGER NOT NULL DEFAULT 0,
        updated_at REAL NOT NULL
    );
    """,
    # 10: similar posts: recent customer posts' MinHash signatures and LSH band keys (a week of traffic;
    # see store/similar_index.py), looked up by band and by time
    """
    CREATE TABLE post_signatures (
        post_id INTEGER PRIMARY KEY,
        created_at REAL NOT NULL,
        sig BLOB NOT NULL
    );
    CREATE INDEX post_signatures_time ON post_signatures (created_at);
    CREATE TABLE post_bands (
        bucket INTEGER NOT NULL,
        created_at REAL NOT NULL,
        post_id INTEGER NOT NULL,
        PRIMARY KEY (bucket, created_at, post_id)
    ) WITHOUT ROWID;
    CREATE INDEX post_bands_time ON post_bands (created_at, bucket);
    """,
    # 11: how often each rule fired on new posts, per minute (kept 8 days: `rules test` shows each
    # rule's live hits over 1h / 24h / 7d)
    """
    CREATE TABLE rule_hits (
        minute INTEGER NOT NULL,
        rule TEXT NOT NULL,
        hits INTEGER NOT NULL,
        PRIMARY KEY (minute, rule)
    ) WITHOUT ROWID;
    """,
    # 12: an item quarantined again (a re-import, a re-fetched page) is kept once: its digest is unique
    """
    ALTER TABLE quarantine ADD COLUMN digest TEXT;
    CREATE UNIQUE INDEX quarantine_digest ON quarantine (source, digest);
    """,
    # 13: each account's auth state: marked by a refused credential, cleared by a success
    """
    CREATE TABLE account_auth (
        account TEXT PRIMARY KEY,
        message TEXT NOT NULL,
        at REAL NOT NULL,
        failures INTEGER NOT NULL,
        retry_at REAL NOT NULL
    );
    """,
    # 14: handles are stored bare (the desk adds the "@"); connectors used to store one, shown "@@"
    """
    UPDATE posts SET author_handle = ltrim(author_handle, '@') WHERE author_handle LIKE '@%';
    UPDATE identities SET handle = ltrim(handle, '@') WHERE handle LIKE '@%';
    """,
    # 15: satisfaction survey answers, matched to the conversation (the post answered) the survey link
    # named; one per conversation and answer time, so importing a file again adds nothing
    """
    CREATE TABLE survey_answers (
        id INTEGER PRIMARY KEY,
        post_id INTEGER NOT NULL REFERENCES posts(id),
        score INTEGER NOT NULL,
        comment TEXT NOT NULL DEFAULT '',
        answered_at REAL NOT NULL,
        imported_at REAL NOT NULL,
        UNIQUE (post_id, answered_at)
    );
    CREATE INDEX survey_answers_time ON survey_answers (answered_at);
    """,
    # 16: notices for the agents at the desk (a rule's or an automation's `notify`; audience "desk" is
    # everyone, else an agent's name, so a shared cache can fan them out) and how far each agent has
    # seen them; which automation fired for which post and condition (`instance`: "" for a wait, the
    # resolution's time for a quiet resolved conversation), each once; when a post's status last
    # changed (resolved conversations close after N quiet days)
    """
    CREATE TABLE notifications (
        id INTEGER PRIMARY KEY,
        at REAL NOT NULL,
        post_id INTEGER REFERENCES posts(id),
        audience TEXT NOT NULL,
        origin TEXT NOT NULL
    );
    CREATE INDEX notifications_audience ON notifications (audience, id);
    CREATE TABLE notification_seen (
        agent TEXT PRIMARY KEY,
        last_id INTEGER NOT NULL
    );
    CREATE TABLE automation_runs (
        automation TEXT NOT NULL,
        post_id INTEGER NOT NULL,
        instance TEXT NOT NULL DEFAULT '',
        at REAL NOT NULL,
        did TEXT NOT NULL DEFAULT '',
        PRIMARY KEY (automation, post_id, instance)
    ) WITHOUT ROWID;
    CREATE INDEX automation_runs_post ON automation_runs (post_id);
    ALTER TABLE posts ADD COLUMN status_at REAL;
    CREATE INDEX posts_resolved_at ON posts (status_at) WHERE status = 'resolved' AND status_at IS NOT NULL;
    """,
    # 17: ticket numbers a customer can quote (one per conversation, never reused, four digits from the
    # start; merged and split by agents), and the fields an agent keeps on a customer (e-mail, order
    # number, CRM link), searchable by value
    """
    CREATE TABLE tickets (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        created_at REAL NOT NULL,
        merged_into INTEGER REFERENCES tickets(id)
    );
    CREATE INDEX tickets_merged_into ON tickets (merged_into);
    CREATE TABLE ticket_posts (
        post_id INTEGER PRIMARY KEY REFERENCES posts(id),
        ticket_id INTEGER NOT NULL REFERENCES tickets(id)
    );
    CREATE INDEX ticket_posts_ticket ON ticket_posts (ticket_id);
    INSERT INTO sqlite_sequence (name, seq) VALUES ('tickets', 999);
    CREATE TABLE customer_fields (
        customer_id INTEGER NOT NULL REFERENCES customers(id),
        name TEXT NOT NULL,
        value TEXT NOT NULL,
        updated_at REAL NOT NULL,
        updated_by TEXT NOT NULL,
        PRIMARY KEY (customer_id, name)
    ) WITHOUT ROWID;
    CREATE INDEX customer_fields_value ON customer_fields (name, value COLLATE NOCASE);
    """,
    # 18: a reply scheduled for a time ("send at 09:00"): queued with that time as its send_after; unlike
    # a reply in its undo window, it does not hold back the account's later replies while it waits
    """
    ALTER TABLE replies ADD COLUMN scheduled INTEGER NOT NULL DEFAULT 0;
    """,
    # 19: the brand as one identity: each of our accounts as its network shows it, so a post by any
    # of them is ours whichever account's stream brought it; and one stored post per ActivityPub uri
    # (each Mastodon server gives a status its own id): the other accounts' ids for it are aliases
    """
    CREATE TABLE own_identities (
        network TEXT NOT NULL,
        account TEXT NOT NULL,
        native_id TEXT NOT NULL,
        handle TEXT NOT NULL DEFAULT '',
        url TEXT NOT NULL DEFAULT '',
        seen_at REAL NOT NULL,
        PRIMARY KEY (network, account)
    );
    CREATE TABLE post_uris (
        network TEXT NOT NULL,
        uri TEXT NOT NULL,
        post_id INTEGER NOT NULL REFERENCES posts(id),
        PRIMARY KEY (network, uri)
    );
    CREATE TABLE post_aliases (
        network TEXT NOT NULL,
        account TEXT NOT NULL,
        native_id TEXT NOT NULL,
        post_id INTEGER NOT NULL REFERENCES posts(id),
        PRIMARY KEY (network, account, native_id)
    );
    CREATE INDEX post_aliases_post ON post_aliases (post_id);
    """,
    # 20: a reply the brand posted on the network itself (stored at sync as our own post) is the first
    # response to the customer post it answers when it is the earliest (store/first_response.py)
    """
    UPDATE posts SET first_response_at = min(coalesce(posts.first_response_at, r.at), r.at)
    FROM (
        SELECT p.id AS id, min(o.created_at) AS at FROM posts o JOIN posts p
            ON p.network = o.network AND p.native_id = o.in_reply_to
        WHERE o.is_ours = 1 AND o.in_reply_to IS NOT NULL AND p.is_ours = 0 AND o.created_at >= p.created_at
        GROUP BY p.id
    ) AS r
    WHERE posts.id = r.id;
    """,
    # 21: where the desk was left (the view and the post under the cursor), so a restart goes back
    # there; and each identity's profile address as its network gave it (O opens it)
    """
    CREATE TABLE desk_place (
        agent TEXT PRIMARY KEY,
        queue INTEGER,
        post_id INTEGER,
        updated_at REAL NOT NULL
    );
    ALTER TABLE identities ADD COLUMN url TEXT NOT NULL DEFAULT '';
    """,
    # 22: the metrics read customer posts' figures by arrival time from a covering index (never a post's
    # row), and the backlog from an index holding only the open actionable posts (is_ours is a column
    # too: SQLite reads the WHERE terms of a query from the index even when the index's own implies them)
    """
    CREATE INDEX posts_metrics ON posts (
        created_at, network, actionable, sentiment_label, status, due_at, first_response_at, is_ours
    ) WHERE is_ours = 0;
    CREATE INDEX posts_backlog ON posts (created_at, status, actionable, is_ours)
        WHERE status IN ('new', 'open', 'escalated') AND actionable = 1 AND is_ours = 0;
    """,
    # 23: posts_queue (status, priority, created_at) served no query: the queues read posts_queue_order,
    # their counts posts_queue_counts, the SLA checks posts_due (EXPLAIN QUERY PLAN of every statement
    # the test suite runs). It cost 27 bytes a post on disk and an index write per stored post.
    """
    DROP INDEX IF EXISTS posts_queue;
    """,
    # 24: a team desk's copy of the shared database (README: Team): the change feed's position per
    # table, the conversations' queue state, claims, presence, the shared outbox's rows, members,
    # which team notes are copied, and the journal of actions taken while the database was unreachable
    """
    CREATE TABLE team_feed (tbl TEXT PRIMARY KEY, last_seq INTEGER NOT NULL);
    CREATE TABLE team_conversations (
        id INTEGER PRIMARY KEY,
        network TEXT NOT NULL,
        key TEXT NOT NULL,
        status TEXT NOT NULL,
        priority INTEGER NOT NULL DEFAULT 1,
        assigned_to TEXT NOT NULL DEFAULT '',
        due_at REAL,
        snoozed_until REAL,
        first_response_at REAL,
        updated_at REAL NOT NULL DEFAULT 0,
        updated_by TEXT NOT NULL DEFAULT '',
        UNIQUE (network, key)
    );
    CREATE TABLE team_claims (
        conversation_id INTEGER PRIMARY KEY,
        agent TEXT NOT NULL,
        claimed_at REAL NOT NULL,
        lease_until REAL NOT NULL
    );
    CREATE TABLE team_presence (
        agent TEXT NOT NULL,
        conversation_id INTEGER NOT NULL,
        activity TEXT NOT NULL,
        until REAL NOT NULL,
        PRIMARY KEY (conversation_id, agent)
    ) WITHOUT ROWID;
    CREATE TABLE team_replies (
        id INTEGER PRIMARY KEY,
        conversation_id INTEGER,
        agent TEXT NOT NULL DEFAULT '',
        text TEXT NOT NULL,
        state TEXT NOT NULL,
        created_at REAL NOT NULL
    );
    CREATE INDEX team_replies_conversation ON team_replies (conversation_id, created_at);
    CREATE TABLE team_agents (name TEXT PRIMARY KEY, role TEXT NOT NULL, active INTEGER NOT NULL);
    CREATE TABLE team_notes (id INTEGER PRIMARY KEY, note_id INTEGER NOT NULL);
    CREATE TABLE team_journal (
        id INTEGER PRIMARY KEY,
        at REAL NOT NULL,
        agent TEXT NOT NULL,
        action TEXT NOT NULL,
        conversation_id INTEGER NOT NULL,
        state TEXT NOT NULL DEFAULT 'waiting',
        outcome TEXT NOT NULL DEFAULT ''
    );
    """,
    # 25: what a team desk shares beyond a status (README: Team): a journalled action's payload (a
    # note's key and words, a tag, an assignee), the desk's own notes by the key they carry to the team
    # (so the copy the feed brings back is not shown twice), and each conversation's team tags as
    # last read (a tag a colleague removed leaves the cached posts; the posts' own triage tags stay)
    """
    ALTER TABLE team_journal ADD COLUMN detail TEXT NOT NULL DEFAULT '{}';
    CREATE TABLE team_own_notes (key TEXT PRIMARY KEY, note_id INTEGER NOT NULL) WITHOUT ROWID;
    ALTER TABLE team_conversations ADD COLUMN tags TEXT NOT NULL DEFAULT '[]';
    """,
    # 26: a team desk hands its replies to the shared outbox and keeps a copy of every row of it
    # (services/team_outbox.py): `team_id` is the shared row's id, NULL while the reply is still only here
    """
    ALTER TABLE replies ADD COLUMN team_id INTEGER;
    CREATE UNIQUE INDEX replies_team ON replies (team_id) WHERE team_id IS NOT NULL;
    CREATE INDEX replies_handoff ON replies (state, id) WHERE team_id IS NULL;
    """,
    # 27: the team's change feed reads by (change_xid, change_seq) since the team's migration 8
    # (team/feed.py): a position from before, (0, last_seq), is exact there, so nothing is read again
    """
    ALTER TABLE team_feed ADD COLUMN last_xid INTEGER NOT NULL DEFAULT 0;
    """,
    # 28: a team desk's copy of the team's canned replies (store/team_playbooks.py): every version
    # the feed brought, the newest in use, so the set is there offline and after a restart
    """
    CREATE TABLE team_playbooks (
        version INTEGER PRIMARY KEY,
        macros TEXT NOT NULL,
        dm_template TEXT NOT NULL DEFAULT '{}',
        source TEXT NOT NULL DEFAULT '',
        pushed_by TEXT NOT NULL,
        pushed_at REAL NOT NULL
    );
    """,
    # 29: on a team desk, the accounts whose credentials the network refused to the hub, and why
    # (store/team_accounts.py; their server limits go to account_limits, as a solo desk's sync puts them)
    """
    CREATE TABLE team_accounts (
        account TEXT PRIMARY KEY,
        network TEXT NOT NULL,
        refused TEXT NOT NULL DEFAULT '',
        refused_at REAL
    );
    """,
)


def migrations() -> list[str]:
    """Every migration in order: entry i migrates from version i to i + 1.

    From 30 on their SQL is generated by the modules that own those tables; importing and building them
    takes a while, and only a cache below SCHEMA_VERSION needs them.
    """
    from socialdesk.store.metrics_again_schema import MIGRATION as AGAIN_MIGRATION
    from socialdesk.store.metrics_arrival_schema import MIGRATION as ARRIVAL_MIGRATION
    from socialdesk.store.metrics_pair_schema import MIGRATION as PAIR_MIGRATION
    from socialdesk.store.metrics_repeat_schema import MIGRATION as REPEAT_MIGRATION
    from socialdesk.store.metrics_response_network_schema import MIGRATION as RESPONSE_NETWORK_MIGRATION
    from socialdesk.store.metrics_rollup_schema import MIGRATION as ROLLUP_MIGRATION
    from socialdesk.store.metrics_sla_schema import MIGRATION as SLA_MIGRATION
    from socialdesk.store.metrics_stale_schema import MIGRATION as STALE_MIGRATION
    from socialdesk.store.metrics_tenths_schema import MIGRATION as TENTHS_MIGRATION
    from socialdesk.store.queue_tally import MIGRATION as TALLY_MIGRATION
    from socialdesk.store.tag_pairs import MIGRATION as TAG_PAIRS_MIGRATION
    from socialdesk.store.tag_tally import MIGRATION as TAG_TALLY_MIGRATION

    return [
        *_WRITTEN,
        # 30: the metrics' rollups (store/metrics_rollup_schema.py): sums per quarter-hour and day kept by
        # triggers, so a report's cost stays flat as the cache grows (README, "Metrics"); backfilled here
        ROLLUP_MIGRATION,
        # 31: the breakdown by network's rollups (store/metrics_pair_schema.py): replies, resolutions and
        # reopenings per (event's unit, post's unit, network), per quarter-hour and day; backfilled here
        PAIR_MIGRATION,
        # 32: saved queues' counts from a tally per combination of the columns they filter on, kept by
        # triggers (store/queue_tally.py); posts_queue_counts, which only those counts and the assignees'
        # skip-scan read, goes (the assignees come from the tally too)
        TALLY_MIGRATION,
        # 33: the resolutions' day histograms leave out a post's repeats the same day, which no period of
        # whole days counts (store/metrics_repeat_schema.py); the index of the repeats across midnight
        REPEAT_MIGRATION,
        # 34: each resolution carries its post's network and quarter-hour of arrival, kept by triggers, so the
        # breakdown by network picks a fine bucket's durations without reading the posts
        # (store/metrics_arrival_schema.py)
        ARRIVAL_MIGRATION,
        # 35: the first responses per day, network and tenth of a bucket replace those per day and bucket
        # overall, so a report reads the buckets of only the tenths holding its ranks
        # (store/metrics_tenths_schema.py)
        TENTHS_MIGRATION,
        # 36: the first responses' index by fine bucket seeks a network before the time
        # (store/metrics_response_network_schema.py)
        RESPONSE_NETWORK_MIGRATION,
        # 37: an index of the customer posts whose SLA is open (store/metrics_sla_schema.py)
        SLA_MIGRATION,
        # 38: metrics_resolutions_again goes, read by no report (store/metrics_again_schema.py)
        AGAIN_MIGRATION,
        # 39: the triggers that mark the status changes' rollups stale list the quarter-hours they left
        # wrong, so a report rebuilds those alone and clears the flag (store/metrics_stale_schema.py,
        # metrics_rebuild.py)
        STALE_MIGRATION,
        # 40: the counts of the saved queues on one tag from a tally per tag, kept by triggers
        # (store/tag_tally.py)
        TAG_TALLY_MIGRATION,
        # 41: the pairs of tags posts carry, tallied the same way, so a queue on either of two tags is
        # counted without reading posts (store/tag_pairs.py)
        TAG_PAIRS_MIGRATION,
    ]
