//! Tests of [`analyze`]: the effects, locks, rewrite and scan flags and
//! details of each kind of statement.

use super::*;
use Action as A;
use Lock::*;
use ObjectKind as K;

#[track_caller]
fn effects(sql: &str) -> Vec<Effect> {
    analyze(sql)
        .unwrap_or_else(|error| panic!("{sql:?} should analyze: {error}"))
        .effects
}

#[track_caller]
fn only(sql: &str) -> Effect {
    let mut all = effects(sql);
    assert_eq!(all.len(), 1, "{sql}: {all:#?}");
    all.remove(0)
}

/// One effect in short: action, kind, `parent.name` or `name`, lock,
/// rewrites, scans.
type Short = (Action, ObjectKind, String, Option<Lock>, bool, bool);

fn short(effect: &Effect) -> Short {
    let name = match &effect.object.parent {
        Some(parent) => format!("{parent}.{}", effect.object.name),
        None => effect.object.name.to_string(),
    };
    (
        effect.action,
        effect.object.kind,
        name,
        effect.lock,
        effect.rewrites,
        effect.scans,
    )
}

/// An expected effect, as [`short`] renders it.
type Expected<'a> = (Action, ObjectKind, &'a str, Option<Lock>, bool, bool);

#[track_caller]
fn check(sql: &str, expected: &[Expected<'_>]) {
    let actual: Vec<Short> = effects(sql).iter().map(short).collect();
    let expected: Vec<Short> = expected
        .iter()
        .map(|&(action, kind, name, lock, rewrites, scans)| {
            (action, kind, name.to_owned(), lock, rewrites, scans)
        })
        .collect();
    assert_eq!(actual, expected, "{sql}");
}

#[track_caller]
fn column_details(effect: &Effect) -> &ColumnDetails {
    match &effect.details {
        EffectDetails::Column(column) => column,
        other => panic!("not a column: {other:?}"),
    }
}

#[track_caller]
fn constraint_details(effect: &Effect) -> &ConstraintDetails {
    match &effect.details {
        EffectDetails::Constraint(constraint) => constraint,
        other => panic!("not a constraint: {other:?}"),
    }
}

#[track_caller]
fn table_details(effect: &Effect) -> &TableDetails {
    match &effect.details {
        EffectDetails::Table(table) => table,
        other => panic!("not a table: {other:?}"),
    }
}

#[test]
fn lock_conflicts_follow_the_documented_table() {
    assert!(AccessShare.conflicts_with(AccessExclusive));
    assert!(!AccessShare.conflicts_with(Exclusive));
    assert!(!ShareUpdateExclusive.conflicts_with(RowExclusive));
    assert!(ShareUpdateExclusive.conflicts_with(ShareUpdateExclusive));
    assert!(Share.conflicts_with(RowExclusive));
    assert!(!Share.conflicts_with(Share));
    assert!(ShareRowExclusive.conflicts_with(ShareRowExclusive));
    assert!(Exclusive.conflicts_with(RowShare) && !Exclusive.conflicts_with(AccessShare));
    for a in Lock::ALL {
        for b in Lock::ALL {
            assert_eq!(a.conflicts_with(b), b.conflicts_with(a), "{a} / {b}");
        }
    }
    let blocking_reads: Vec<Lock> = Lock::ALL
        .into_iter()
        .filter(|lock| lock.blocks_reads())
        .collect();
    assert_eq!(blocking_reads, [AccessExclusive]);
    let blocking_writes: Vec<Lock> = Lock::ALL
        .into_iter()
        .filter(|lock| lock.blocks_writes())
        .collect();
    assert_eq!(
        blocking_writes,
        [Share, ShareRowExclusive, Exclusive, AccessExclusive]
    );
    assert_eq!(AccessExclusive.to_string(), "ACCESS EXCLUSIVE");
}

#[test]
fn create_table_details_and_references() {
    let sql = "CREATE TABLE IF NOT EXISTS app.orders (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        user_id uuid NOT NULL REFERENCES auth.users (id) ON DELETE CASCADE,
        parent_id bigint REFERENCES app.orders,
        total numeric(10, 2) DEFAULT 0 CHECK (total >= 0),
        note varchar(200),
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT orders_note_unique UNIQUE (note)
    )";
    check(
        sql,
        &[
            (A::Create, K::Table, "app.orders", None, false, false),
            (
                A::Reference,
                K::Table,
                "auth.users",
                Some(ShareRowExclusive),
                false,
                false,
            ),
        ],
    );
    let created = &effects(sql)[0];
    let table = table_details(created);
    assert!(table.if_not_exists && table.has_primary_key && !table.partitioned);
    let names: Vec<&str> = table
        .columns
        .iter()
        .map(|column| column.name.as_str())
        .collect();
    assert_eq!(
        names,
        ["id", "user_id", "parent_id", "total", "note", "created_at"]
    );
    let types: Vec<String> = table
        .columns
        .iter()
        .map(|column| {
            column
                .type_name
                .as_ref()
                .map(ToString::to_string)
                .unwrap_or_default()
        })
        .collect();
    assert_eq!(
        types,
        [
            "int8",
            "uuid",
            "int8",
            "numeric(10,2)",
            "varchar(200)",
            "timestamptz"
        ]
    );
    let id = &table.columns[0];
    assert!(id.identity && id.primary_key && id.not_null);
    assert_eq!(id.default_volatility, Some(Volatility::Volatile));
    let created_at = &table.columns[5];
    assert!(created_at.not_null);
    assert_eq!(
        created_at
            .default
            .as_ref()
            .map(|default| default.sql.as_str()),
        Some("now()")
    );
    assert_eq!(created_at.default_volatility, Some(Volatility::Stable));
    let kinds: Vec<ConstraintKind> = table
        .constraints
        .iter()
        .map(|constraint| constraint.kind)
        .collect();
    assert_eq!(
        kinds,
        [
            ConstraintKind::PrimaryKey,
            ConstraintKind::ForeignKey,
            ConstraintKind::ForeignKey,
            ConstraintKind::Check,
            ConstraintKind::Unique,
        ]
    );
    let fk = &table.constraints[1];
    assert_eq!(fk.columns, ["user_id"]);
    let target = fk.references.as_ref().expect("references");
    assert_eq!(target.table, QualifiedName::new(Some("auth"), "users"));
    assert_eq!(target.columns, ["id"]);
    assert_eq!(target.on_delete, Some("cascade"));
    assert_eq!(
        table.constraints[4].name.as_deref(),
        Some("orders_note_unique")
    );
    assert_eq!(table.constraints[4].columns, ["note"]);
}

#[test]
fn create_table_partition_and_persistence() {
    check(
        "CREATE TABLE events_2024 PARTITION OF events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01')",
        &[
            (A::Create, K::Table, "events_2024", None, false, false),
            (
                A::Reference,
                K::Table,
                "events",
                Some(AccessExclusive),
                false,
                false,
            ),
        ],
    );
    let partition = &effects("CREATE TABLE p PARTITION OF events DEFAULT")[0];
    assert_eq!(
        table_details(partition).partition_of,
        Some(QualifiedName::bare("events"))
    );
    let unlogged = only("CREATE UNLOGGED TABLE cache (k text) PARTITION BY HASH (k)");
    let details = table_details(&unlogged);
    assert!(details.partitioned && !details.has_primary_key);
    assert_eq!(details.persistence, Persistence::Unlogged);
    check(
        "CREATE TABLE child () INHERITS (parent)",
        &[
            (A::Create, K::Table, "child", None, false, false),
            (
                A::Reference,
                K::Table,
                "parent",
                Some(ShareUpdateExclusive),
                false,
                false,
            ),
        ],
    );
}

#[test]
fn add_column_locks_and_rewrites_by_default_volatility() {
    let plain = only("ALTER TABLE users ADD COLUMN IF NOT EXISTS bio text");
    assert_eq!(
        short(&plain),
        (
            A::Create,
            K::Column,
            "users.bio".into(),
            Some(AccessExclusive),
            false,
            false
        )
    );
    let details = column_details(&plain);
    assert!(details.if_not_exists && !details.not_null && details.default.is_none());
    assert_eq!(
        details
            .type_name
            .as_ref()
            .map(ToString::to_string)
            .as_deref(),
        Some("text")
    );

    let constant = only("ALTER TABLE users ADD COLUMN active boolean NOT NULL DEFAULT true");
    assert!(!constant.rewrites && !constant.scans);
    assert_eq!(
        column_details(&constant).default_volatility,
        Some(Volatility::Immutable)
    );
    assert!(column_details(&constant).not_null);

    let stable = only("ALTER TABLE users ADD COLUMN seen timestamptz DEFAULT now()");
    assert!(!stable.rewrites);
    let stable = only("ALTER TABLE users ADD COLUMN seen timestamptz DEFAULT CURRENT_TIMESTAMP");
    assert!(!stable.rewrites);

    for volatile in [
        "gen_random_uuid()",
        "extensions.uuid_generate_v4()",
        "random()",
        "clock_timestamp()",
        "timeofday()::timestamptz",
        "nextval('s')",
        "(random() * 10)::int",
    ] {
        let effect = only(&format!(
            "ALTER TABLE users ADD COLUMN x uuid DEFAULT {volatile}"
        ));
        assert!(effect.rewrites, "{volatile}");
        assert_eq!(
            column_details(&effect).default_volatility,
            Some(Volatility::Volatile),
            "{volatile}"
        );
    }
    let unknown = only("ALTER TABLE users ADD COLUMN x int DEFAULT my_fn()");
    assert!(unknown.rewrites);
    assert_eq!(
        column_details(&unknown).default_volatility,
        Some(Volatility::Unknown)
    );
    let default = column_details(&unknown).default.as_ref().expect("default");
    assert_eq!(default.sql, "my_fn()");

    assert!(only("ALTER TABLE users ADD COLUMN n bigserial").rewrites);
    assert!(only("ALTER TABLE users ADD COLUMN n int GENERATED ALWAYS AS IDENTITY").rewrites);
    assert!(only("ALTER TABLE users ADD COLUMN n int GENERATED ALWAYS AS (a + 1) STORED").rewrites);
    let not_null = only("ALTER TABLE users ADD COLUMN n int NOT NULL");
    assert!(not_null.scans && !not_null.rewrites);
}

#[test]
fn add_column_with_inline_constraints() {
    check(
        "ALTER TABLE posts ADD COLUMN author_id bigint REFERENCES users (id), ADD COLUMN slug text UNIQUE",
        &[
            (
                A::Create,
                K::Column,
                "posts.author_id",
                Some(AccessExclusive),
                false,
                false,
            ),
            (
                A::Create,
                K::Constraint,
                "posts.",
                Some(ShareRowExclusive),
                false,
                true,
            ),
            (
                A::Reference,
                K::Table,
                "users",
                Some(ShareRowExclusive),
                false,
                true,
            ),
            (
                A::Create,
                K::Column,
                "posts.slug",
                Some(AccessExclusive),
                false,
                false,
            ),
            (
                A::Create,
                K::Constraint,
                "posts.",
                Some(AccessExclusive),
                false,
                true,
            ),
        ],
    );
    let analysis = analyze("ALTER TABLE posts ADD COLUMN author_id bigint REFERENCES users (id)")
        .expect("parses");
    assert_eq!(
        analysis.lock_on(&QualifiedName::bare("posts")),
        Some(AccessExclusive)
    );
    assert_eq!(
        analysis.lock_on(&QualifiedName::bare("users")),
        Some(ShareRowExclusive)
    );
    assert_eq!(analysis.strongest_lock(), Some(AccessExclusive));
}

#[test]
fn alter_column_subcommands() {
    let cases: &[(&str, Lock, bool, bool)] = &[
        ("ALTER COLUMN c TYPE bigint", AccessExclusive, true, false),
        (
            "ALTER COLUMN c SET DEFAULT 0",
            AccessExclusive,
            false,
            false,
        ),
        ("ALTER COLUMN c DROP DEFAULT", AccessExclusive, false, false),
        ("ALTER COLUMN c SET NOT NULL", AccessExclusive, false, true),
        (
            "ALTER COLUMN c DROP NOT NULL",
            AccessExclusive,
            false,
            false,
        ),
        (
            "ALTER COLUMN c SET STATISTICS 500",
            ShareUpdateExclusive,
            false,
            false,
        ),
        (
            "ALTER COLUMN c SET (n_distinct = 100)",
            ShareUpdateExclusive,
            false,
            false,
        ),
        (
            "ALTER COLUMN c SET STORAGE EXTERNAL",
            AccessExclusive,
            false,
            false,
        ),
        (
            "ALTER COLUMN c SET COMPRESSION lz4",
            AccessExclusive,
            false,
            false,
        ),
        (
            "ALTER COLUMN c ADD GENERATED ALWAYS AS IDENTITY",
            AccessExclusive,
            false,
            false,
        ),
        (
            "ALTER COLUMN c DROP IDENTITY",
            AccessExclusive,
            false,
            false,
        ),
        (
            "ALTER COLUMN c SET EXPRESSION AS (a * 2)",
            AccessExclusive,
            true,
            false,
        ),
        (
            "ALTER COLUMN c DROP EXPRESSION",
            AccessExclusive,
            false,
            false,
        ),
        ("DROP COLUMN c", AccessExclusive, false, false),
    ];
    for &(command, lock, rewrites, scans) in cases {
        let effect = only(&format!("ALTER TABLE t {command}"));
        assert_eq!(effect.object.kind, K::Column, "{command}");
        assert_eq!(effect.object.name.name, "c", "{command}");
        assert_eq!(
            effect.object.parent,
            Some(QualifiedName::bare("t")),
            "{command}"
        );
        assert_eq!(
            (effect.lock, effect.rewrites, effect.scans),
            (Some(lock), rewrites, scans),
            "{command}"
        );
    }
    let retype = only("ALTER TABLE t ALTER COLUMN c TYPE varchar(100) USING c::varchar");
    let EffectDetails::ColumnChange(ColumnChange::Type { type_name, using }) = &retype.details
    else {
        panic!("{retype:?}");
    };
    assert_eq!(type_name.to_string(), "varchar(100)");
    assert_eq!(
        using.as_ref().map(|using| using.sql.as_str()),
        Some("c::varchar")
    );
    let set_default = only("ALTER TABLE t ALTER COLUMN c SET DEFAULT gen_random_uuid()");
    let EffectDetails::ColumnChange(ColumnChange::SetDefault(default)) = &set_default.details
    else {
        panic!("{set_default:?}");
    };
    assert_eq!(
        (default.sql.as_str(), default.volatility),
        ("gen_random_uuid()", Volatility::Volatile)
    );
    assert!(
        !set_default.rewrites,
        "a new default applies to new rows only"
    );
    let dropped = only("ALTER TABLE t DROP COLUMN IF EXISTS c CASCADE");
    assert_eq!(dropped.action, A::Drop);
    assert_eq!(
        dropped.details,
        EffectDetails::Drop(DropDetails {
            if_exists: true,
            cascade: true,
            concurrently: false
        })
    );
}

#[test]
fn constraints_lock_and_scan_by_kind_and_validity() {
    let cases: &[(&str, Lock, bool, ConstraintKind)] = &[
        (
            "ADD CONSTRAINT k CHECK (a > 0)",
            AccessExclusive,
            true,
            ConstraintKind::Check,
        ),
        (
            "ADD CONSTRAINT k CHECK (a > 0) NOT VALID",
            AccessExclusive,
            false,
            ConstraintKind::Check,
        ),
        (
            "ADD CONSTRAINT k UNIQUE (a)",
            AccessExclusive,
            true,
            ConstraintKind::Unique,
        ),
        (
            "ADD CONSTRAINT k UNIQUE USING INDEX t_a_idx",
            AccessExclusive,
            false,
            ConstraintKind::Unique,
        ),
        (
            "ADD CONSTRAINT k PRIMARY KEY (a)",
            AccessExclusive,
            true,
            ConstraintKind::PrimaryKey,
        ),
        (
            "ADD CONSTRAINT k EXCLUDE USING gist (r WITH &&)",
            AccessExclusive,
            true,
            ConstraintKind::Exclusion,
        ),
        (
            "ADD CONSTRAINT k FOREIGN KEY (a) REFERENCES t (id)",
            ShareRowExclusive,
            true,
            ConstraintKind::ForeignKey,
        ),
    ];
    for &(command, lock, scans, kind) in cases {
        let all = effects(&format!("ALTER TABLE t {command}"));
        assert_eq!(
            all.len(),
            1,
            "{command}: a self-reference adds no second effect"
        );
        let effect = &all[0];
        assert_eq!(
            short(effect),
            (
                A::Create,
                K::Constraint,
                "t.k".into(),
                Some(lock),
                false,
                scans
            ),
            "{command}"
        );
        assert_eq!(constraint_details(effect).kind, kind, "{command}");
    }
    let using_index = only("ALTER TABLE t ADD CONSTRAINT k PRIMARY KEY USING INDEX t_a_idx");
    assert_eq!(
        constraint_details(&using_index).using_index.as_deref(),
        Some("t_a_idx")
    );
    let check_expr = only("ALTER TABLE t ADD CHECK (a IS NOT NULL) NOT VALID");
    let details = constraint_details(&check_expr);
    assert!(details.not_valid && details.name.is_none());
    assert_eq!(
        details.expression.as_ref().map(|e| e.sql.as_str()),
        Some("a IS NOT NULL")
    );

    check(
        "ALTER TABLE orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES public.users (id) NOT VALID",
        &[
            (
                A::Create,
                K::Constraint,
                "orders.orders_user_fk",
                Some(ShareRowExclusive),
                false,
                false,
            ),
            (
                A::Reference,
                K::Table,
                "public.users",
                Some(ShareRowExclusive),
                false,
                false,
            ),
        ],
    );
    check(
        "ALTER TABLE orders VALIDATE CONSTRAINT orders_user_fk",
        &[(
            A::Validate,
            K::Constraint,
            "orders.orders_user_fk",
            Some(ShareUpdateExclusive),
            false,
            true,
        )],
    );
    check(
        "ALTER TABLE orders DROP CONSTRAINT IF EXISTS orders_user_fk",
        &[(
            A::Drop,
            K::Constraint,
            "orders.orders_user_fk",
            Some(AccessExclusive),
            false,
            false,
        )],
    );
    check(
        "ALTER TABLE orders ALTER CONSTRAINT orders_user_fk DEFERRABLE",
        &[(
            A::Alter,
            K::Constraint,
            "orders.orders_user_fk",
            Some(AccessExclusive),
            false,
            false,
        )],
    );
}

#[test]
fn table_level_alter_subcommands() {
    let cases: &[(&str, Lock, bool, TableChange)] = &[
        (
            "ENABLE ROW LEVEL SECURITY",
            AccessExclusive,
            false,
            TableChange::EnableRowLevelSecurity,
        ),
        (
            "DISABLE ROW LEVEL SECURITY",
            AccessExclusive,
            false,
            TableChange::DisableRowLevelSecurity,
        ),
        (
            "FORCE ROW LEVEL SECURITY",
            AccessExclusive,
            false,
            TableChange::ForceRowLevelSecurity,
        ),
        (
            "NO FORCE ROW LEVEL SECURITY",
            AccessExclusive,
            false,
            TableChange::NoForceRowLevelSecurity,
        ),
        ("SET LOGGED", AccessExclusive, true, TableChange::SetLogged),
        (
            "SET UNLOGGED",
            AccessExclusive,
            true,
            TableChange::SetUnlogged,
        ),
        (
            "SET TABLESPACE fast",
            AccessExclusive,
            true,
            TableChange::SetTablespace("fast".into()),
        ),
        (
            "SET (fillfactor = 70)",
            ShareUpdateExclusive,
            false,
            TableChange::SetOptions(vec!["fillfactor=70".into()]),
        ),
        (
            "SET (autovacuum_vacuum_scale_factor = 0.01)",
            ShareUpdateExclusive,
            false,
            TableChange::SetOptions(vec!["autovacuum_vacuum_scale_factor=0.01".into()]),
        ),
        (
            "RESET (fillfactor)",
            ShareUpdateExclusive,
            false,
            TableChange::ResetOptions(vec!["fillfactor".into()]),
        ),
        (
            "SET (user_catalog_table = true)",
            AccessExclusive,
            false,
            TableChange::SetOptions(vec!["user_catalog_table=true".into()]),
        ),
        (
            "CLUSTER ON t_pkey",
            ShareUpdateExclusive,
            false,
            TableChange::ClusterOn("t_pkey".into()),
        ),
        (
            "SET WITHOUT CLUSTER",
            ShareUpdateExclusive,
            false,
            TableChange::SetWithoutCluster,
        ),
        (
            "REPLICA IDENTITY FULL",
            AccessExclusive,
            false,
            TableChange::ReplicaIdentity,
        ),
    ];
    for (command, lock, rewrites, change) in cases {
        let effect = only(&format!("ALTER TABLE t {command}"));
        assert_eq!(
            short(&effect),
            (
                A::Alter,
                K::Table,
                "t".into(),
                Some(*lock),
                *rewrites,
                false
            ),
            "{command}"
        );
        assert_eq!(
            effect.details,
            EffectDetails::TableChange(change.clone()),
            "{command}"
        );
    }
    let owner = only("ALTER TABLE t OWNER TO admin");
    assert_eq!(
        (owner.lock, &owner.details),
        (Some(AccessExclusive), &EffectDetails::Owner("admin".into()))
    );
    let view = only("ALTER VIEW v SET (security_invoker = true)");
    assert_eq!(
        (view.object.kind, view.lock),
        (K::View, Some(AccessExclusive))
    );
}

#[test]
fn triggers() {
    let created = only(
        "CREATE OR REPLACE TRIGGER set_updated BEFORE INSERT OR UPDATE ON app.posts FOR EACH ROW EXECUTE FUNCTION app.touch()",
    );
    assert_eq!(
        short(&created),
        (
            A::Create,
            K::Trigger,
            "app.posts.set_updated".into(),
            Some(ShareRowExclusive),
            false,
            false
        )
    );
    let EffectDetails::Trigger(details) = &created.details else {
        panic!("{created:?}");
    };
    assert!(details.or_replace && details.for_each_row && !details.constraint);
    assert_eq!(
        (details.timing, details.events.as_slice()),
        ("before", ["insert", "update"].as_slice())
    );
    assert_eq!(details.function, QualifiedName::new(Some("app"), "touch"));

    for (command, enabled, scope) in [
        ("DISABLE TRIGGER set_updated", false, "named"),
        ("ENABLE TRIGGER set_updated", true, "named"),
        ("DISABLE TRIGGER ALL", false, "all"),
        ("ENABLE TRIGGER USER", true, "user"),
    ] {
        let effect = only(&format!("ALTER TABLE posts {command}"));
        assert_eq!(
            (effect.action, effect.object.kind, effect.lock),
            (A::Alter, K::Trigger, Some(ShareRowExclusive)),
            "{command}"
        );
        let EffectDetails::TriggerState(state) = effect.details else {
            panic!("{command}");
        };
        assert_eq!((state.enabled, state.scope), (enabled, scope), "{command}");
    }
    check(
        "DROP TRIGGER IF EXISTS set_updated ON app.posts",
        &[(
            A::Drop,
            K::Trigger,
            "app.posts.set_updated",
            Some(AccessExclusive),
            false,
            false,
        )],
    );
}

#[test]
fn partitions() {
    check(
        "ALTER TABLE events ATTACH PARTITION events_2024 FOR VALUES FROM ('2024-01-01') TO ('2025-01-01')",
        &[
            (
                A::Alter,
                K::Table,
                "events",
                Some(ShareUpdateExclusive),
                false,
                false,
            ),
            (
                A::Attach,
                K::Table,
                "events_2024",
                Some(AccessExclusive),
                false,
                true,
            ),
        ],
    );
    check(
        "ALTER TABLE events DETACH PARTITION events_2024",
        &[
            (
                A::Alter,
                K::Table,
                "events",
                Some(AccessExclusive),
                false,
                false,
            ),
            (
                A::Detach,
                K::Table,
                "events_2024",
                Some(AccessExclusive),
                false,
                false,
            ),
        ],
    );
    check(
        "ALTER TABLE events DETACH PARTITION events_2024 CONCURRENTLY",
        &[
            (
                A::Alter,
                K::Table,
                "events",
                Some(ShareUpdateExclusive),
                false,
                false,
            ),
            (
                A::Detach,
                K::Table,
                "events_2024",
                Some(ShareUpdateExclusive),
                false,
                false,
            ),
        ],
    );
}

#[test]
fn indexes() {
    let plain = only(
        "CREATE INDEX orders_user_idx ON app.orders (user_id, lower(email)) INCLUDE (total) WHERE deleted_at IS NULL",
    );
    assert_eq!(
        short(&plain),
        (
            A::Create,
            K::Index,
            "app.orders.orders_user_idx".into(),
            Some(Share),
            false,
            false
        )
    );
    let EffectDetails::Index(details) = &plain.details else {
        panic!("{plain:?}");
    };
    assert_eq!(details.columns, ["user_id", "lower(email)"]);
    assert_eq!(details.include, ["total"]);
    assert_eq!(
        details.predicate.as_ref().map(|p| p.sql.as_str()),
        Some("deleted_at IS NULL")
    );
    assert!(!details.unique && !details.concurrently && !details.if_not_exists && !details.only);

    let concurrent = only("CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS u ON t USING btree (a)");
    assert_eq!(
        (concurrent.lock, concurrent.scans),
        (Some(ShareUpdateExclusive), true)
    );
    let EffectDetails::Index(details) = &concurrent.details else {
        panic!("{concurrent:?}");
    };
    assert!(details.unique && details.concurrently && details.if_not_exists);
    assert_eq!(details.method, None);
    let gin = only("CREATE INDEX ON t USING gin (doc)");
    assert_eq!(gin.object.name.name, "");
    assert!(
        matches!(&gin.details, EffectDetails::Index(details) if details.method.as_deref() == Some("gin"))
    );

    check(
        "DROP INDEX IF EXISTS a, s.b",
        &[
            (A::Drop, K::Index, "a", Some(AccessExclusive), false, false),
            (
                A::Drop,
                K::Index,
                "s.b",
                Some(AccessExclusive),
                false,
                false,
            ),
        ],
    );
    let concurrent = only("DROP INDEX CONCURRENTLY a");
    assert_eq!(concurrent.lock, Some(ShareUpdateExclusive));
    assert_eq!(
        concurrent.details,
        EffectDetails::Drop(DropDetails {
            if_exists: false,
            cascade: false,
            concurrently: true
        })
    );
    check(
        "ALTER INDEX a RENAME TO b",
        &[(
            A::Rename,
            K::Index,
            "a",
            Some(ShareUpdateExclusive),
            false,
            false,
        )],
    );
    check(
        "ALTER INDEX a SET (fillfactor = 90)",
        &[(
            A::Alter,
            K::Index,
            "a",
            Some(ShareUpdateExclusive),
            false,
            false,
        )],
    );
}

#[test]
fn renames() {
    let table = only("ALTER TABLE users RENAME TO accounts");
    assert_eq!(
        short(&table),
        (
            A::Rename,
            K::Table,
            "users".into(),
            Some(AccessExclusive),
            false,
            false
        )
    );
    assert_eq!(table.details, EffectDetails::Rename("accounts".into()));
    check(
        "ALTER TABLE s.users RENAME COLUMN name TO full_name",
        &[(
            A::Rename,
            K::Column,
            "s.users.name",
            Some(AccessExclusive),
            false,
            false,
        )],
    );
    check(
        "ALTER TABLE users RENAME CONSTRAINT a TO b",
        &[(
            A::Rename,
            K::Constraint,
            "users.a",
            Some(AccessExclusive),
            false,
            false,
        )],
    );
    check(
        "ALTER VIEW v RENAME TO w",
        &[(A::Rename, K::View, "v", Some(AccessExclusive), false, false)],
    );
    check(
        "ALTER FUNCTION f(int) RENAME TO g",
        &[(A::Rename, K::Function, "f", None, false, false)],
    );
    check(
        "ALTER SCHEMA a RENAME TO b",
        &[(A::Rename, K::Schema, "a", None, false, false)],
    );
    check(
        "ALTER TYPE mood RENAME VALUE 'sad' TO 'blue'",
        &[(A::Rename, K::EnumValue, "mood.sad", None, false, false)],
    );
}

#[test]
fn drops() {
    let tables = effects("DROP TABLE IF EXISTS a, app.b CASCADE");
    assert_eq!(tables.len(), 2);
    assert_eq!(
        short(&tables[1]),
        (
            A::Drop,
            K::Table,
            "app.b".into(),
            Some(AccessExclusive),
            false,
            false
        )
    );
    assert_eq!(
        tables[0].details,
        EffectDetails::Drop(DropDetails {
            if_exists: true,
            cascade: true,
            concurrently: false
        })
    );
    check(
        "DROP VIEW v",
        &[(A::Drop, K::View, "v", Some(AccessExclusive), false, false)],
    );
    check(
        "DROP MATERIALIZED VIEW m",
        &[(
            A::Drop,
            K::MaterializedView,
            "m",
            Some(AccessExclusive),
            false,
            false,
        )],
    );
    check(
        "DROP SEQUENCE s",
        &[(
            A::Drop,
            K::Sequence,
            "s",
            Some(AccessExclusive),
            false,
            false,
        )],
    );
    check(
        "DROP FUNCTION app.f(int, text)",
        &[(A::Drop, K::Function, "app.f", None, false, false)],
    );
    check(
        "DROP PROCEDURE p",
        &[(A::Drop, K::Procedure, "p", None, false, false)],
    );
    check(
        "DROP TYPE IF EXISTS mood",
        &[(A::Drop, K::Type, "mood", None, false, false)],
    );
    check(
        "DROP SCHEMA app CASCADE",
        &[(A::Drop, K::Schema, "app", None, false, false)],
    );
    check(
        "DROP EXTENSION pgcrypto",
        &[(A::Drop, K::Extension, "pgcrypto", None, false, false)],
    );
    check(
        "DROP POLICY p ON t",
        &[(
            A::Drop,
            K::Policy,
            "t.p",
            Some(AccessExclusive),
            false,
            false,
        )],
    );
    check(
        "DROP ROLE IF EXISTS r",
        &[(A::Drop, K::Role, "r", None, false, false)],
    );
    check(
        "DROP CAST (text AS int)",
        &[(A::Drop, K::Other, "", None, false, false)],
    );
}

#[test]
fn policies_and_row_level_security() {
    let policy = only(
        "CREATE POLICY own_rows ON public.notes AS RESTRICTIVE FOR UPDATE TO authenticated USING ((select auth.uid()) = user_id) WITH CHECK (auth.uid() = user_id)",
    );
    assert_eq!(
        short(&policy),
        (
            A::Create,
            K::Policy,
            "public.notes.own_rows".into(),
            Some(AccessExclusive),
            false,
            false
        )
    );
    let EffectDetails::Policy(details) = &policy.details else {
        panic!("{policy:?}");
    };
    assert_eq!(details.command.as_deref(), Some("update"));
    assert!(!details.permissive);
    assert_eq!(details.roles, ["authenticated"]);
    assert_eq!(
        details.using.as_ref().map(|e| e.sql.as_str()),
        Some("(SELECT auth.uid()) = user_id")
    );
    assert_eq!(
        details.with_check.as_ref().map(|e| e.sql.as_str()),
        Some("auth.uid() = user_id")
    );
    assert_eq!(
        details.with_check.as_ref().map(|e| e.volatility),
        Some(Volatility::Stable)
    );

    let altered = only("ALTER POLICY own_rows ON notes TO public USING (true)");
    assert_eq!(
        short(&altered),
        (
            A::Alter,
            K::Policy,
            "notes.own_rows".into(),
            Some(AccessExclusive),
            false,
            false
        )
    );
    assert!(
        matches!(&altered.details, EffectDetails::Policy(details) if details.roles == ["public"])
    );
}

#[test]
fn views_and_materialized_views() {
    let all = effects(
        "CREATE VIEW app.active WITH (security_invoker = true) AS SELECT u.* FROM app.users u JOIN app.orgs o ON o.id = u.org",
    );
    check(
        "CREATE VIEW app.active WITH (security_invoker = true) AS SELECT u.* FROM app.users u JOIN app.orgs o ON o.id = u.org",
        &[
            (A::Create, K::View, "app.active", None, false, false),
            (
                A::Read,
                K::Table,
                "app.users",
                Some(AccessShare),
                false,
                false,
            ),
            (
                A::Read,
                K::Table,
                "app.orgs",
                Some(AccessShare),
                false,
                false,
            ),
        ],
    );
    let EffectDetails::View(details) = &all[0].details else {
        panic!("{all:?}");
    };
    assert_eq!(details.security_invoker, Some(true));
    assert_eq!(details.options, ["security_invoker=true"]);
    let replaced =
        &effects("CREATE OR REPLACE VIEW v AS SELECT 1 AS one WITH LOCAL CHECK OPTION")[0];
    assert_eq!(
        (replaced.action, replaced.lock),
        (A::Alter, Some(AccessExclusive))
    );
    assert!(
        matches!(&replaced.details, EffectDetails::View(d) if d.or_replace && d.security_invoker.is_none() && d.check_option == Some("local"))
    );

    let matview = &effects(
        "CREATE MATERIALIZED VIEW IF NOT EXISTS stats AS SELECT count(*) FROM orders WITH NO DATA",
    )[0];
    assert_eq!(
        (matview.action, matview.object.kind),
        (A::Create, K::MaterializedView)
    );
    assert!(matches!(&matview.details, EffectDetails::View(d) if d.if_not_exists && !d.with_data));
    check(
        "REFRESH MATERIALIZED VIEW stats",
        &[(
            A::Refresh,
            K::MaterializedView,
            "stats",
            Some(AccessExclusive),
            false,
            false,
        )],
    );
    check(
        "REFRESH MATERIALIZED VIEW CONCURRENTLY stats",
        &[(
            A::Refresh,
            K::MaterializedView,
            "stats",
            Some(Exclusive),
            false,
            false,
        )],
    );
}

#[test]
fn functions_and_procedures() {
    let function = only(
        "CREATE OR REPLACE FUNCTION app.owner_of(p_id uuid, OUT owner uuid) LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public AS $$ select owner from app.items where id = p_id $$",
    );
    assert_eq!(
        short(&function),
        (
            A::Create,
            K::Function,
            "app.owner_of".into(),
            None,
            false,
            false
        )
    );
    let EffectDetails::Function(details) = &function.details else {
        panic!("{function:?}");
    };
    assert!(details.or_replace);
    assert_eq!(details.arguments, ["uuid"]);
    assert_eq!(details.language.as_deref(), Some("sql"));
    assert_eq!(details.security_definer, Some(true));
    assert_eq!(details.search_path.as_deref(), Some("pg_catalog, public"));
    assert_eq!(details.volatility, Some(Volatility::Stable));

    let unsafe_definer = only(
        "CREATE FUNCTION f() RETURNS int LANGUAGE plpgsql SECURITY DEFINER AS $$ begin return 1; end $$",
    );
    assert!(
        matches!(&unsafe_definer.details, EffectDetails::Function(d) if d.security_definer == Some(true) && d.search_path.is_none())
    );
    let empty_path =
        only("CREATE FUNCTION f() RETURNS int LANGUAGE sql SET search_path = '' AS 'select 1'");
    assert!(
        matches!(&empty_path.details, EffectDetails::Function(d) if d.search_path.as_deref() == Some(""))
    );
    let procedure = only("CREATE PROCEDURE p() LANGUAGE sql AS 'select 1'");
    assert_eq!(procedure.object.kind, K::Procedure);
    let altered = only("ALTER FUNCTION f() SECURITY INVOKER SET search_path FROM CURRENT");
    assert_eq!(
        (altered.action, altered.object.kind),
        (A::Alter, K::Function)
    );
    assert!(
        matches!(&altered.details, EffectDetails::Function(d) if d.security_definer == Some(false) && d.search_path.as_deref() == Some("FROM CURRENT"))
    );
}

#[test]
fn types_and_enum_values() {
    let created = only("CREATE TYPE app.mood AS ENUM ('sad', 'ok', 'happy')");
    assert_eq!(
        short(&created),
        (A::Create, K::Type, "app.mood".into(), None, false, false)
    );
    assert_eq!(
        created.details,
        EffectDetails::Type(TypeDetails::Enum {
            values: vec!["sad".into(), "ok".into(), "happy".into()]
        })
    );
    let composite = only("CREATE TYPE pair AS (a int, b text)");
    let EffectDetails::Type(TypeDetails::Composite { attributes }) = &composite.details else {
        panic!("{composite:?}");
    };
    let names: Vec<&str> = attributes.iter().map(|(name, _)| name.as_str()).collect();
    assert_eq!(names, ["a", "b"]);
    let added = only("ALTER TYPE app.mood ADD VALUE IF NOT EXISTS 'meh' BEFORE 'ok'");
    assert_eq!(
        short(&added),
        (
            A::Create,
            K::EnumValue,
            "app.mood.meh".into(),
            None,
            false,
            false
        )
    );
    assert_eq!(
        added.details,
        EffectDetails::EnumValue(EnumValueDetails {
            if_not_exists: true,
            before: Some("ok".into()),
            after: None
        })
    );
    let domain = only("CREATE DOMAIN email AS citext CHECK (value ~ '@')");
    assert_eq!((domain.object.kind, domain.action), (K::Domain, A::Create));
}

#[test]
fn schemas_extensions_sequences_roles() {
    check(
        "CREATE SCHEMA app CREATE TABLE app.t (id int) CREATE VIEW app.v AS SELECT 1",
        &[
            (A::Create, K::Schema, "app", None, false, false),
            (A::Create, K::Table, "app.t", None, false, false),
            (A::Create, K::View, "app.v", None, false, false),
        ],
    );
    let extension = only(
        "CREATE EXTENSION IF NOT EXISTS pgcrypto WITH SCHEMA extensions VERSION '1.3' CASCADE",
    );
    assert_eq!(
        extension.details,
        EffectDetails::Extension(ExtensionDetails {
            if_not_exists: true,
            schema: Some("extensions".into()),
            version: Some("1.3".into()),
            cascade: true,
        })
    );
    let sequence = only("CREATE SEQUENCE IF NOT EXISTS s");
    assert_eq!(
        (sequence.object.kind, &sequence.details),
        (
            K::Sequence,
            &EffectDetails::Create(CreateDetails {
                if_not_exists: true,
                or_replace: false
            })
        )
    );
    check(
        "ALTER SEQUENCE s RESTART",
        &[(
            A::Alter,
            K::Sequence,
            "s",
            Some(ShareRowExclusive),
            false,
            false,
        )],
    );
    check(
        "CREATE ROLE app_reader NOLOGIN",
        &[(A::Create, K::Role, "app_reader", None, false, false)],
    );
}

#[test]
fn grants_and_revokes() {
    let granted =
        effects("GRANT SELECT, INSERT ON TABLE a, b TO anon, authenticated WITH GRANT OPTION");
    assert_eq!(granted.len(), 2);
    assert_eq!(
        short(&granted[1]),
        (A::Grant, K::Table, "b".into(), None, false, false)
    );
    let EffectDetails::Grant(details) = &granted[0].details else {
        panic!("{granted:?}");
    };
    assert_eq!(details.privileges, ["select", "insert"]);
    assert_eq!(details.grantees, ["anon", "authenticated"]);
    assert!(details.with_grant_option);
    assert_eq!(
        (details.target, details.object_kind),
        (GrantTarget::Objects, Some(K::Table))
    );

    let all = only("GRANT ALL ON ALL TABLES IN SCHEMA public TO anon");
    assert_eq!(
        (all.action, all.object.kind, all.object.name.name.as_str()),
        (A::Grant, K::Schema, "public")
    );
    assert!(
        matches!(&all.details, EffectDetails::Grant(d) if d.privileges == ["all"] && d.target == GrantTarget::AllInSchema)
    );

    let revoked = only("REVOKE EXECUTE ON FUNCTION app.f(int) FROM PUBLIC CASCADE");
    assert_eq!(
        (revoked.action, revoked.object.kind),
        (A::Revoke, K::Function)
    );
    assert!(
        matches!(&revoked.details, EffectDetails::Grant(d) if d.grantees == ["public"] && d.cascade)
    );

    let columns = only("GRANT UPDATE (name, bio) ON profiles TO authenticated");
    assert!(matches!(&columns.details, EffectDetails::Grant(d) if d.columns == ["name", "bio"]));

    let role = only("GRANT app_reader TO alice");
    assert_eq!((role.action, role.object.kind), (A::Grant, K::Role));
    let defaults = only("ALTER DEFAULT PRIVILEGES IN SCHEMA app GRANT SELECT ON TABLES TO anon");
    assert_eq!(
        (defaults.action, defaults.object.kind),
        (A::Grant, K::Schema)
    );
    assert!(
        matches!(&defaults.details, EffectDetails::Grant(d) if d.target == GrantTarget::Defaults)
    );
}

#[test]
fn comments() {
    let table = only("COMMENT ON TABLE app.users IS 'people'");
    assert_eq!(
        short(&table),
        (
            A::Comment,
            K::Table,
            "app.users".into(),
            Some(ShareUpdateExclusive),
            false,
            false
        )
    );
    assert_eq!(table.details, EffectDetails::Comment(Some("people".into())));
    check(
        "COMMENT ON COLUMN app.users.name IS NULL",
        &[(
            A::Comment,
            K::Column,
            "app.users.name",
            Some(ShareUpdateExclusive),
            false,
            false,
        )],
    );
    assert_eq!(
        only("COMMENT ON COLUMN users.name IS NULL").details,
        EffectDetails::Comment(None)
    );
    check(
        "COMMENT ON FUNCTION f(int) IS 'x'",
        &[(A::Comment, K::Function, "f", None, false, false)],
    );
    check(
        "COMMENT ON SCHEMA app IS 'x'",
        &[(A::Comment, K::Schema, "app", None, false, false)],
    );
}

#[test]
fn writes_and_reads() {
    let update = effects("UPDATE users SET active = false");
    assert_eq!(
        short(&update[0]),
        (
            A::Update,
            K::Table,
            "users".into(),
            Some(RowExclusive),
            false,
            false
        )
    );
    assert!(matches!(
        update[0].details,
        EffectDetails::Write(WriteDetails {
            has_where: false,
            ..
        })
    ));
    assert!(matches!(
        only("DELETE FROM users WHERE id = 1").details,
        EffectDetails::Write(WriteDetails {
            has_where: true,
            ..
        })
    ));
    assert!(matches!(
        only("DELETE FROM users").details,
        EffectDetails::Write(WriteDetails {
            has_where: false,
            ..
        })
    ));
    check(
        "UPDATE users u SET org = o.id FROM orgs o WHERE o.name = u.org_name",
        &[
            (
                A::Update,
                K::Table,
                "users",
                Some(RowExclusive),
                false,
                false,
            ),
            (A::Read, K::Table, "orgs", Some(AccessShare), false, false),
        ],
    );
    check(
        "WITH recent AS (SELECT * FROM events) INSERT INTO archive SELECT * FROM recent ON CONFLICT DO NOTHING",
        &[
            (
                A::Insert,
                K::Table,
                "archive",
                Some(RowExclusive),
                false,
                false,
            ),
            (A::Read, K::Table, "events", Some(AccessShare), false, false),
        ],
    );
    let insert = only("INSERT INTO t (a) VALUES (1)");
    assert_eq!(
        insert.details,
        EffectDetails::Write(WriteDetails {
            has_where: false,
            on_conflict: false,
            from_query: false
        })
    );
    check(
        "SELECT * FROM a, b.c",
        &[
            (A::Read, K::Table, "a", Some(AccessShare), false, false),
            (A::Read, K::Table, "b.c", Some(AccessShare), false, false),
        ],
    );
    check(
        "SELECT * FROM a FOR UPDATE",
        &[(A::Read, K::Table, "a", Some(RowShare), false, false)],
    );
    check(
        "MERGE INTO t USING s ON t.id = s.id WHEN MATCHED THEN DELETE",
        &[
            (A::Merge, K::Table, "t", Some(RowExclusive), false, false),
            (A::Read, K::Table, "s", Some(AccessShare), false, false),
        ],
    );
    check(
        "CREATE TABLE copy AS SELECT * FROM src",
        &[
            (A::Create, K::Table, "copy", None, false, false),
            (A::Read, K::Table, "src", Some(AccessShare), false, false),
        ],
    );
}

#[test]
fn truncate_lock_and_maintenance() {
    let truncated = effects("TRUNCATE a, b RESTART IDENTITY CASCADE");
    assert_eq!(
        short(&truncated[1]),
        (
            A::Truncate,
            K::Table,
            "b".into(),
            Some(AccessExclusive),
            false,
            false
        )
    );
    assert_eq!(
        truncated[0].details,
        EffectDetails::Truncate(TruncateDetails {
            cascade: true,
            restart_identity: true
        })
    );

    check(
        "VACUUM t",
        &[(
            A::Vacuum,
            K::Table,
            "t",
            Some(ShareUpdateExclusive),
            false,
            false,
        )],
    );
    check(
        "VACUUM FULL t",
        &[(A::Vacuum, K::Table, "t", Some(AccessExclusive), true, false)],
    );
    check(
        "VACUUM (FULL, ANALYZE) t",
        &[(A::Vacuum, K::Table, "t", Some(AccessExclusive), true, false)],
    );
    check(
        "VACUUM",
        &[(
            A::Vacuum,
            K::Database,
            "",
            Some(ShareUpdateExclusive),
            false,
            false,
        )],
    );
    check(
        "ANALYZE t",
        &[(
            A::Analyze,
            K::Table,
            "t",
            Some(ShareUpdateExclusive),
            false,
            false,
        )],
    );
    check(
        "CLUSTER t USING t_pkey",
        &[(
            A::Cluster,
            K::Table,
            "t",
            Some(AccessExclusive),
            true,
            false,
        )],
    );
    check(
        "REINDEX TABLE t",
        &[(A::Reindex, K::Table, "t", Some(Share), false, false)],
    );
    check(
        "REINDEX INDEX CONCURRENTLY i",
        &[(
            A::Reindex,
            K::Index,
            "i",
            Some(ShareUpdateExclusive),
            false,
            false,
        )],
    );
    check(
        "REINDEX INDEX i",
        &[(
            A::Reindex,
            K::Index,
            "i",
            Some(AccessExclusive),
            false,
            false,
        )],
    );
    check(
        "LOCK TABLE a, b IN SHARE ROW EXCLUSIVE MODE",
        &[
            (
                A::Lock,
                K::Table,
                "a",
                Some(ShareRowExclusive),
                false,
                false,
            ),
            (
                A::Lock,
                K::Table,
                "b",
                Some(ShareRowExclusive),
                false,
                false,
            ),
        ],
    );
    check(
        "LOCK t",
        &[(A::Lock, K::Table, "t", Some(AccessExclusive), false, false)],
    );
    check(
        "LOCK t IN ACCESS SHARE MODE",
        &[(A::Lock, K::Table, "t", Some(AccessShare), false, false)],
    );
}

#[test]
fn unmodelled_statements_have_no_effects() {
    for sql in [
        "SET lock_timeout = '5s'",
        "SELECT 1",
        "BEGIN",
        "COMMIT",
        "DO $$ begin perform 1; end $$",
        "NOTIFY channel",
        "",
        "-- just a comment",
    ] {
        assert_eq!(effects(sql), [], "{sql}");
    }
}

#[test]
fn bad_input_is_an_error_not_a_panic() {
    assert!(analyze("ALTER TABLE").is_err());
    assert!(analyze("select\0").is_err());
    let deep = format!("SELECT {}1{}", "(".repeat(5000), ")".repeat(5000));
    let _ = analyze(&deep);
}

#[test]
fn analysis_serializes() {
    let analysis = analyze("ALTER TABLE t ADD COLUMN c int DEFAULT random()").expect("parses");
    let value = serde_json::to_value(&analysis).expect("serializes");
    assert_eq!(value["effects"][0]["action"], "create");
    assert_eq!(value["effects"][0]["lock"], "access-exclusive");
    assert_eq!(value["effects"][0]["details"]["kind"], "column");
    assert_eq!(
        value["effects"][0]["details"]["value"]["default_volatility"],
        "volatile"
    );
}
