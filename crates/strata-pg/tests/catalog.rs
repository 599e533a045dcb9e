//! Catalog snapshots and their differences, against a real throwaway PostgreSQL.
//!
//! Each test starts its own cluster and works in a database of its own.

use strata_ephemeral::Cluster;
use strata_pg::catalog::{DiffKind, ObjectKind, Snapshot, SnapshotOptions, snapshot};
use strata_pg::connect::{Source, Target, connect};
use tokio_postgres::Client;

/// A database in a throwaway cluster, and a connection to it.
struct Db {
    client: Client,
    cluster: Cluster,
}

impl Db {
    async fn new() -> Self {
        let cluster = Cluster::start().unwrap_or_else(|e| panic!("cannot start a cluster: {e}"));
        cluster
            .create_database("catalog")
            .unwrap_or_else(|e| panic!("cannot create the database: {e}"));
        let target = Target::parse(
            &cluster.url("catalog"),
            Source::Other("test".to_owned()),
            None,
            &|_| None,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let client = connect(&target, "strata-catalog-test")
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        Self { client, cluster }
    }

    async fn run(&self, sql: &str) {
        self.client
            .batch_execute(sql)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e:?}"));
    }

    /// A snapshot as `strata verify` takes it: without the history schema.
    async fn snapshot(&self) -> Snapshot {
        self.snapshot_with(&SnapshotOptions::excluding(["strata"]))
            .await
    }

    async fn snapshot_with(&self, options: &SnapshotOptions) -> Snapshot {
        snapshot(&self.client, options)
            .await
            .unwrap_or_else(|e| panic!("{e}"))
    }
}

/// What `before.diff(after)` says, as a rollback report would.
fn messages(before: &Snapshot, after: &Snapshot) -> Vec<String> {
    before.diff(after).iter().map(ToString::to_string).collect()
}

/// Runs `setup`, then `up` and `down` between two snapshots, and says what
/// the round trip changed.
async fn round_trip(setup: &str, up: &str, down: &str) -> Vec<String> {
    let db = Db::new().await;
    db.run(setup).await;
    let before = db.snapshot().await;
    db.run(up).await;
    db.run(down).await;
    let after = db.snapshot().await;
    messages(&before, &after)
}

/// A table and a role for the round trips to work on.
const NOTES: &str = "
CREATE ROLE reader;
CREATE TABLE notes (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    body text NOT NULL,
    stars integer
);
CREATE INDEX notes_stars_idx ON notes (stars);
CREATE FUNCTION count_notes() RETURNS bigint LANGUAGE sql AS 'SELECT count(*) FROM notes';
";

/// A migration touching every kind of object a snapshot lists.
const RICH_UP: &str = r#"
CREATE ROLE app_reader;
CREATE SCHEMA extensions;
CREATE EXTENSION pgcrypto SCHEMA extensions;
CREATE SCHEMA app;
CREATE TYPE app.mood AS ENUM ('happy', 'sad');
CREATE DOMAIN app.positive AS integer NOT NULL DEFAULT 1 CONSTRAINT positive_check CHECK (VALUE > 0);
CREATE TYPE app.pair AS (a integer, b text COLLATE "C");
CREATE TYPE app.floatrange AS RANGE (subtype = float8, subtype_diff = float8mi);
CREATE SEQUENCE app.ticket_seq AS integer INCREMENT 5 START 100 CACHE 10;
CREATE TABLE app.authors (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name text NOT NULL UNIQUE,
    born date DEFAULT '2000-01-01'
);
CREATE TABLE app.notes (
    id serial PRIMARY KEY,
    author_id bigint NOT NULL REFERENCES app.authors (id) ON DELETE CASCADE,
    body text NOT NULL DEFAULT '',
    mood app.mood,
    stars app.positive,
    created timestamptz NOT NULL DEFAULT now(),
    words integer GENERATED ALWAYS AS (length(body)) STORED,
    ticket integer DEFAULT nextval('app.ticket_seq'),
    CONSTRAINT body_not_huge CHECK (length(body) < 10000)
);
CREATE INDEX notes_body_idx ON app.notes (body);
CREATE INDEX notes_recent_idx ON app.notes (created) WHERE mood = 'happy';
CREATE VIEW app.happy_notes AS SELECT id, body FROM app.notes WHERE mood = 'happy';
CREATE MATERIALIZED VIEW app.note_counts AS
    SELECT author_id, count(*) AS n FROM app.notes GROUP BY author_id;
CREATE UNIQUE INDEX note_counts_author_idx ON app.note_counts (author_id);
CREATE FUNCTION app.touch() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = app AS $$
BEGIN
    NEW.created := now();
    RETURN NEW;
END
$$;
CREATE FUNCTION app.add(a integer, b integer) RETURNS integer LANGUAGE sql IMMUTABLE AS 'SELECT a + b';
CREATE PROCEDURE app.noop() LANGUAGE sql AS 'SELECT 1';
CREATE AGGREGATE app.total(integer) (SFUNC = app.add, STYPE = integer, INITCOND = '0');
CREATE TRIGGER notes_touch BEFORE INSERT OR UPDATE ON app.notes
    FOR EACH ROW EXECUTE FUNCTION app.touch();
ALTER TABLE app.notes ENABLE ROW LEVEL SECURITY;
CREATE POLICY notes_read ON app.notes FOR SELECT TO app_reader USING (mood IS NOT NULL);
CREATE POLICY notes_write ON app.notes AS RESTRICTIVE FOR INSERT TO app_reader WITH CHECK (stars > 2);
GRANT USAGE ON SCHEMA app TO app_reader;
GRANT SELECT ON app.notes TO app_reader;
GRANT UPDATE (body) ON app.notes TO app_reader WITH GRANT OPTION;
GRANT USAGE ON SEQUENCE app.ticket_seq TO app_reader;
REVOKE EXECUTE ON FUNCTION app.add(integer, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION app.add(integer, integer) TO app_reader;
ALTER DEFAULT PRIVILEGES IN SCHEMA app GRANT SELECT ON TABLES TO app_reader;
COMMENT ON TABLE app.notes IS 'What people wrote';
COMMENT ON COLUMN app.notes.body IS 'The text';
CREATE TABLE app.events (id int, at date NOT NULL) PARTITION BY RANGE (at);
CREATE TABLE app.events_2024 PARTITION OF app.events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE INDEX events_at_idx ON app.events (at);
CREATE STATISTICS app.notes_stats (dependencies) ON author_id, mood FROM app.notes;
CREATE RULE authors_no_delete AS ON DELETE TO app.authors DO INSTEAD NOTHING;
CREATE FOREIGN DATA WRAPPER dummy;
CREATE SERVER elsewhere FOREIGN DATA WRAPPER dummy;
CREATE FOREIGN TABLE app.remote (id integer) SERVER elsewhere OPTIONS (table_name 'remote');
SET client_min_messages = error;
CREATE PUBLICATION notes_pub FOR TABLE app.notes WITH (publish = 'insert, update');
RESET client_min_messages;
CREATE FUNCTION app.on_ddl() RETURNS event_trigger LANGUAGE plpgsql AS $$ BEGIN END $$;
CREATE EVENT TRIGGER app_ddl ON ddl_command_end EXECUTE FUNCTION app.on_ddl();
"#;

/// The correct rollback of [`RICH_UP`].
const RICH_DOWN: &str = "
DROP EVENT TRIGGER app_ddl;
DROP PUBLICATION notes_pub;
ALTER DEFAULT PRIVILEGES IN SCHEMA app REVOKE SELECT ON TABLES FROM app_reader;
DROP SCHEMA app CASCADE;
DROP SERVER elsewhere;
DROP FOREIGN DATA WRAPPER dummy;
DROP EXTENSION pgcrypto;
DROP SCHEMA extensions;
DROP ROLE app_reader;
";

#[tokio::test]
async fn an_empty_database_holds_only_the_public_schema() {
    let db = Db::new().await;
    // strata's own history is not the user's schema.
    db.run("CREATE SCHEMA strata; CREATE TABLE strata.migrations (version text);")
        .await;
    let ids: Vec<String> = db
        .snapshot()
        .await
        .objects()
        .iter()
        .map(|o| o.id())
        .collect();
    // PostgreSQL 15 stopped granting CREATE on schema public to everyone.
    let mut expected = vec!["schema public", "grant USAGE on schema public to PUBLIC"];
    if db.cluster.version().major() < 15 {
        expected.push("grant CREATE on schema public to PUBLIC");
    }
    let mut ids_sorted = ids.clone();
    ids_sorted.sort();
    expected.sort_unstable();
    assert_eq!(ids_sorted, expected, "{ids:?}");

    let without_public = db
        .snapshot_with(&SnapshotOptions::excluding(["strata", "public"]))
        .await;
    assert!(without_public.is_empty(), "{without_public:?}");
}

#[tokio::test]
async fn a_correct_down_restores_the_snapshot_of_before_the_up() {
    let db = Db::new().await;
    let before = db.snapshot().await;
    db.run(RICH_UP).await;
    let after_up = db.snapshot().await;

    for kind in ObjectKind::ALL {
        assert!(
            after_up.objects().iter().any(|o| o.kind == kind),
            "no {kind} in the snapshot: {after_up:#?}"
        );
    }
    let property = |kind, name: &str, key: &str| {
        after_up
            .get(kind, name)
            .and_then(|o| o.properties.get(key))
            .map(String::as_str)
            .unwrap_or_else(|| panic!("no {key} for {kind} {name}"))
    };
    assert_eq!(
        property(ObjectKind::Column, "app.authors.id", "identity"),
        "always"
    );
    assert_eq!(
        property(ObjectKind::Column, "app.notes.words", "generated"),
        "length(body) stored"
    );
    assert_eq!(
        property(ObjectKind::Column, "app.notes.ticket", "default"),
        "nextval('app.ticket_seq'::regclass)"
    );
    assert_eq!(
        property(ObjectKind::Type, "app.mood", "labels"),
        "'happy', 'sad'"
    );
    assert_eq!(
        property(ObjectKind::Table, "app.notes", "row_level_security"),
        "enabled"
    );
    assert_eq!(
        property(ObjectKind::Sequence, "app.authors_id_seq", "owned_by"),
        "app.authors.id"
    );
    assert_eq!(
        property(
            ObjectKind::Grant,
            "UPDATE on column app.notes.body to app_reader",
            "grant_option"
        ),
        "yes"
    );
    assert_eq!(
        property(ObjectKind::Extension, "pgcrypto", "schema"),
        "extensions"
    );
    // Extension members are the extension's business, and the constructors of
    // a range type the type's.
    assert!(
        after_up
            .objects()
            .iter()
            .all(|o| !o.name.starts_with("extensions.")
                && !o.name.starts_with("app.floatmultirange")),
        "{after_up:#?}"
    );

    // What the up added is reported once per top-level object.
    let mut added = messages(&before, &after_up);
    added.sort();
    assert_eq!(
        added,
        [
            "event trigger app_ddl was left behind",
            "publication notes_pub was left behind",
            "schema app was left behind",
            "schema extensions was left behind",
        ]
    );

    db.run(RICH_DOWN).await;
    let after_down = db.snapshot().await;
    assert_eq!(messages(&before, &after_down), Vec::<String>::new());
    assert_eq!(before, after_down);
}

#[tokio::test]
async fn a_down_that_forgets_an_index_names_exactly_that_index() {
    let db = Db::new().await;
    db.run(NOTES).await;
    let before = db.snapshot().await;
    db.run("CREATE INDEX notes_body_idx ON notes (body);").await;
    let after = db.snapshot().await;
    let diff = before.diff(&after);
    assert_eq!(diff.len(), 1, "{diff:?}");
    assert_eq!(diff[0].kind, DiffKind::Added);
    assert_eq!(diff[0].object, "index public.notes_body_idx");
    assert_eq!(
        diff[0].after.as_deref(),
        Some("CREATE INDEX notes_body_idx ON public.notes USING btree (body)")
    );
    assert_eq!(
        diff[0].to_string(),
        "index public.notes_body_idx was left behind"
    );
}

#[tokio::test]
async fn a_down_that_drops_too_much_names_what_it_removed() {
    let found = round_trip(
        NOTES,
        "ALTER TABLE notes ADD COLUMN extra integer;",
        "ALTER TABLE notes DROP COLUMN extra; DROP INDEX notes_stars_idx;",
    )
    .await;
    assert_eq!(found, ["index public.notes_stars_idx was removed"]);
}

#[tokio::test]
async fn a_down_that_forgets_a_default_says_which_column() {
    let found = round_trip(
        NOTES,
        "ALTER TABLE notes ALTER body SET DEFAULT 'draft';",
        "",
    )
    .await;
    assert_eq!(
        found,
        ["column public.notes.body changed default: (none) -> 'draft'::text"]
    );
}

#[tokio::test]
async fn a_down_that_leaves_a_changed_type_says_from_what_to_what() {
    let found = round_trip(
        NOTES,
        "ALTER TABLE notes ALTER stars TYPE bigint;",
        "ALTER TABLE notes ALTER stars TYPE numeric;",
    )
    .await;
    assert_eq!(
        found,
        ["column public.notes.stars changed type: integer -> numeric"]
    );
}

#[tokio::test]
async fn a_down_that_forgets_to_revoke_names_the_grant() {
    let found = round_trip(
        NOTES,
        "GRANT SELECT, UPDATE ON notes TO reader; GRANT EXECUTE ON FUNCTION count_notes() TO reader;",
        "REVOKE UPDATE ON notes FROM reader;",
    )
    .await;
    assert_eq!(
        found,
        [
            "grant EXECUTE on function public.count_notes() to reader was left behind",
            "grant SELECT on table public.notes to reader was left behind",
        ]
    );
}

#[tokio::test]
async fn a_down_that_forgets_to_disable_row_level_security_says_so() {
    let found = round_trip(
        NOTES,
        "ALTER TABLE notes ENABLE ROW LEVEL SECURITY;
         CREATE POLICY readers ON notes FOR SELECT TO reader USING (stars > 0);",
        "DROP POLICY readers ON notes;",
    )
    .await;
    assert_eq!(
        found,
        ["table public.notes changed row level security: disabled -> enabled"]
    );
}

#[tokio::test]
async fn recreated_objects_compare_equal_whatever_their_oids_and_sequence_values() {
    let found = round_trip(
        &format!("{NOTES} INSERT INTO notes (body) VALUES ('a'), ('b');"),
        "DROP FUNCTION count_notes(); DROP TABLE notes;",
        &format!(
            "{} INSERT INTO notes (body) VALUES ('c'), ('d'), ('e');",
            NOTES.replace("CREATE ROLE reader;", "")
        ),
    )
    .await;
    assert_eq!(found, Vec::<String>::new());
}

#[tokio::test]
async fn a_grant_undone_by_a_revoke_compares_equal_to_never_granting() {
    // Both leave an explicit ACL where there was none (the built-in default).
    let found = round_trip(
        NOTES,
        "GRANT SELECT ON notes TO reader; REVOKE EXECUTE ON FUNCTION count_notes() FROM PUBLIC;",
        "REVOKE SELECT ON notes FROM reader; GRANT EXECUTE ON FUNCTION count_notes() TO PUBLIC;",
    )
    .await;
    assert_eq!(found, Vec::<String>::new());
}

#[tokio::test]
async fn snapshots_of_the_same_schema_are_equal_and_serialize_the_same() {
    let db = Db::new().await;
    db.run(
        "CREATE SCHEMA app;
         CREATE TYPE app.mood AS ENUM ('happy', 'sad');
         CREATE TABLE app.notes (
             id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
             body text NOT NULL CHECK (length(body) < 100),
             mood app.mood DEFAULT 'happy'
         );
         CREATE INDEX notes_mood_idx ON app.notes (mood) WHERE mood IS NOT NULL;
         COMMENT ON TABLE app.notes IS 'Notes';",
    )
    .await;
    let options = SnapshotOptions::excluding(["public"]);
    let first = db.snapshot_with(&options).await;
    let second = db.snapshot_with(&options).await;
    assert_eq!(first, second);
    // The settings pinned for the snapshot did not outlive it.
    let rows = db
        .client
        .query_one(
            "SELECT current_setting('search_path'), current_setting('transaction_isolation')",
            &[],
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(rows.get::<_, String>(0), "\"$user\", public");
    assert_eq!(rows.get::<_, String>(1), "read committed");

    let json = serde_json::to_string_pretty(&first).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(json, SMALL_SCHEMA_JSON);
    let read: Snapshot = serde_json::from_str(&json).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(read, first);
}

/// The snapshot of the small schema above.
const SMALL_SCHEMA_JSON: &str = r#"{
  "objects": [
    {
      "kind": "schema",
      "name": "app"
    },
    {
      "kind": "type",
      "name": "app.mood",
      "parent": "schema app",
      "properties": {
        "category": "enum",
        "labels": "'happy', 'sad'"
      }
    },
    {
      "kind": "sequence",
      "name": "app.notes_id_seq",
      "parent": "column app.notes.id",
      "properties": {
        "cache": "1",
        "cycle": "no",
        "increment": "1",
        "maximum": "9223372036854775807",
        "minimum": "1",
        "owned_by": "app.notes.id",
        "start": "1",
        "type": "bigint"
      }
    },
    {
      "kind": "table",
      "name": "app.notes",
      "parent": "schema app",
      "properties": {
        "comment": "Notes",
        "replica_identity": "default",
        "row_level_security": "disabled"
      }
    },
    {
      "kind": "column",
      "name": "app.notes.body",
      "parent": "table app.notes",
      "properties": {
        "nullability": "not null",
        "type": "text"
      }
    },
    {
      "kind": "column",
      "name": "app.notes.id",
      "parent": "table app.notes",
      "properties": {
        "identity": "by default",
        "nullability": "not null",
        "type": "bigint"
      }
    },
    {
      "kind": "column",
      "name": "app.notes.mood",
      "parent": "table app.notes",
      "properties": {
        "default": "'happy'::app.mood",
        "nullability": "nullable",
        "type": "app.mood"
      }
    },
    {
      "kind": "constraint",
      "name": "notes_body_check on app.notes",
      "parent": "table app.notes",
      "properties": {
        "definition": "CHECK ((length(body) < 100))"
      }
    },
    {
      "kind": "constraint",
      "name": "notes_pkey on app.notes",
      "parent": "table app.notes",
      "properties": {
        "definition": "PRIMARY KEY (id)"
      }
    },
    {
      "kind": "index",
      "name": "app.notes_mood_idx",
      "parent": "table app.notes",
      "properties": {
        "definition": "CREATE INDEX notes_mood_idx ON app.notes USING btree (mood) WHERE (mood IS NOT NULL)"
      }
    },
    {
      "kind": "grant",
      "name": "USAGE on type app.mood to PUBLIC",
      "parent": "type app.mood",
      "properties": {
        "grant_option": "no"
      }
    }
  ]
}"#;
