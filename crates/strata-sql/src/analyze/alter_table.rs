//! `ALTER TABLE` (and `ALTER VIEW`, `ALTER INDEX`... that share its parse
//! node): one or more effects per subcommand, by family of subcommand:
//! columns, constraints, triggers, partitions, and the table as a whole.
//!
//! Lock levels follow PostgreSQL's `AlterTableGetLockLevel` (tablecmds.c).

use std::ops::Range;

use pg_query::protobuf::node::Node;
use pg_query::protobuf::{self, AlterTableType as At, DropBehavior, ObjectType};

use super::expr::{def_elems, expression, option_value, range_var, role_name, type_ref};
use super::location::Sink;
use super::tables::{add_constraint, column_def, constraint_details};
use super::{
    Action, ColumnChange, DropDetails, Effect, EffectDetails, Lock, ObjectKind, ObjectRef,
    PartitionDetails, QualifiedName, TableChange, TriggerState, Volatility,
};

use Lock::{AccessExclusive, ShareRowExclusive, ShareUpdateExclusive};

/// The relation an `ALTER TABLE` statement changes.
struct Target<'a> {
    table: &'a QualifiedName,
    kind: ObjectKind,
    /// Where the statement names it.
    at: Option<Range<usize>>,
}

impl Target<'_> {
    /// The relation itself.
    fn this(&self) -> ObjectRef {
        ObjectRef::new(self.kind, self.table.clone())
    }

    /// An object in the relation: a column, constraint or trigger.
    fn member(&self, kind: ObjectKind, name: &str) -> ObjectRef {
        ObjectRef::within(kind, name, self.table.clone())
    }

    /// A change to the relation as a whole.
    fn change(&self, change: TableChange, lock: Lock) -> Effect {
        Effect::new(Action::Alter, self.this())
            .lock(lock)
            .at(self.at.clone())
            .details(EffectDetails::TableChange(change))
    }
}

/// `ALTER TABLE` and the statements that share its parse node.
pub(super) fn alter_table(stmt: &protobuf::AlterTableStmt, out: &mut Sink<'_>) {
    let table = range_var(stmt.relation.as_ref());
    let target = Target {
        table: &table,
        kind: relation_kind(stmt.objtype),
        at: out.relation_at(stmt.relation.as_ref()),
    };
    for cmd in &stmt.cmds {
        if let Some(Node::AlterTableCmd(cmd)) = cmd.node.as_ref() {
            subcommand(&target, cmd, out);
        }
    }
}

/// The kind of relation an `ALTER TABLE`-family statement names.
fn relation_kind(objtype: i32) -> ObjectKind {
    match ObjectType::try_from(objtype) {
        Ok(ObjectType::ObjectIndex) => ObjectKind::Index,
        Ok(ObjectType::ObjectView) => ObjectKind::View,
        Ok(ObjectType::ObjectMatview) => ObjectKind::MaterializedView,
        Ok(ObjectType::ObjectSequence) => ObjectKind::Sequence,
        Ok(ObjectType::ObjectForeignTable) => ObjectKind::ForeignTable,
        Ok(ObjectType::ObjectType) => ObjectKind::Type,
        _ => ObjectKind::Table,
    }
}

/// One subcommand, handed to its family.
fn subcommand(target: &Target<'_>, cmd: &protobuf::AlterTableCmd, out: &mut Sink<'_>) {
    let subtype = At::try_from(cmd.subtype).unwrap_or(At::Undefined);
    let def = cmd.def.as_deref().and_then(|def| def.node.as_ref());
    match subtype {
        At::AtAddColumn | At::AtAddColumnToView => {
            if let Some(Node::ColumnDef(definition)) = def {
                add_column(target, cmd, definition, out);
            }
        }
        At::AtColumnDefault
        | At::AtCookedColumnDefault
        | At::AtDropNotNull
        | At::AtSetNotNull
        | At::AtSetExpression
        | At::AtDropExpression
        | At::AtSetStatistics
        | At::AtSetOptions
        | At::AtResetOptions
        | At::AtSetStorage
        | At::AtSetCompression
        | At::AtAddIdentity
        | At::AtSetIdentity
        | At::AtDropIdentity
        | At::AtAlterColumnGenericOptions
        | At::AtAlterColumnType
        | At::AtDropColumn => {
            if let Some(effect) = column(target, subtype, cmd, def) {
                out.push(effect);
            }
        }
        At::AtAddConstraint | At::AtAddIndexConstraint => {
            if let Some(Node::Constraint(constraint)) = def
                && let Some(details) = constraint_details(constraint, None)
            {
                add_constraint(target.table, details, constraint, out);
            }
        }
        At::AtAlterConstraint | At::AtValidateConstraint | At::AtDropConstraint => {
            out.push(constraint(target, subtype, cmd, def));
        }
        At::AtEnableTrig
        | At::AtEnableAlwaysTrig
        | At::AtEnableReplicaTrig
        | At::AtDisableTrig
        | At::AtEnableTrigAll
        | At::AtDisableTrigAll
        | At::AtEnableTrigUser
        | At::AtDisableTrigUser => out.push(trigger(target, subtype, cmd)),
        At::AtAddInherit | At::AtDropInherit => inherit(target, subtype, def, out),
        At::AtAttachPartition | At::AtDetachPartition | At::AtDetachPartitionFinalize => {
            if let Some(Node::PartitionCmd(partition)) = def {
                partition_cmd(target, subtype, partition, out);
            }
        }
        _ => out.push(table(target, subtype, cmd, def)),
    }
}

/// `ADD COLUMN`, and the constraints written in its definition.
fn add_column(
    target: &Target<'_>,
    cmd: &protobuf::AlterTableCmd,
    definition: &protobuf::ColumnDef,
    out: &mut Sink<'_>,
) {
    let (mut details, constraints) = column_def(definition);
    details.if_not_exists = cmd.missing_ok;
    // A volatile default (or one that may be) is computed for every
    // existing row, and so are identity and stored generated values.
    let rewrites = details
        .default_volatility
        .is_some_and(|volatility| volatility >= Volatility::Unknown)
        || details.generated.is_some();
    // NOT NULL without a default is verified against existing rows.
    let scans = details.not_null && details.default.is_none() && !rewrites;
    out.push(
        Effect::new(
            Action::Create,
            target.member(ObjectKind::Column, &details.name),
        )
        .lock(AccessExclusive)
        .at(out.name_at(definition.location))
        .rewrites(rewrites)
        .scans(scans)
        .details(EffectDetails::Column(details)),
    );
    for (constraint, node) in constraints {
        add_constraint(target.table, constraint, node, out);
    }
}

/// `ALTER COLUMN ...` and `DROP COLUMN`; `None` for a type change without
/// its definition, which the parser does not produce.
fn column(
    target: &Target<'_>,
    subtype: At,
    cmd: &protobuf::AlterTableCmd,
    def: Option<&Node>,
) -> Option<Effect> {
    let column = || target.member(ObjectKind::Column, &cmd.name);
    let alter = |change: ColumnChange, lock: Lock| {
        Effect::new(Action::Alter, column())
            .lock(lock)
            .details(EffectDetails::ColumnChange(change))
    };
    let expression_of_cmd = || {
        cmd.def
            .as_deref()
            .map(expression)
            .unwrap_or_else(|| expression(&protobuf::Node::default()))
    };
    let effect = match subtype {
        At::AtColumnDefault | At::AtCookedColumnDefault => alter(
            def.map_or(ColumnChange::DropDefault, |_| {
                ColumnChange::SetDefault(expression_of_cmd())
            }),
            AccessExclusive,
        ),
        At::AtDropNotNull => alter(ColumnChange::DropNotNull, AccessExclusive),
        At::AtSetNotNull => alter(ColumnChange::SetNotNull, AccessExclusive).scans(true),
        At::AtSetExpression => alter(
            ColumnChange::SetExpression(expression_of_cmd()),
            AccessExclusive,
        )
        .rewrites(true),
        At::AtDropExpression => alter(ColumnChange::DropExpression, AccessExclusive),
        At::AtSetStatistics => alter(ColumnChange::SetStatistics, ShareUpdateExclusive),
        At::AtSetOptions | At::AtResetOptions => {
            alter(ColumnChange::SetOptions, ShareUpdateExclusive)
        }
        At::AtSetStorage => alter(ColumnChange::SetStorage, AccessExclusive),
        At::AtSetCompression => alter(ColumnChange::SetCompression, AccessExclusive),
        At::AtAddIdentity => alter(ColumnChange::AddIdentity, AccessExclusive),
        At::AtSetIdentity => alter(ColumnChange::SetIdentity, AccessExclusive),
        At::AtDropIdentity => alter(ColumnChange::DropIdentity, AccessExclusive),
        At::AtAlterColumnGenericOptions => alter(ColumnChange::GenericOptions, AccessExclusive),
        At::AtAlterColumnType => {
            let Some(Node::ColumnDef(definition)) = def else {
                return None;
            };
            let change = ColumnChange::Type {
                type_name: definition
                    .type_name
                    .as_ref()
                    .map(type_ref)
                    .unwrap_or_else(|| type_ref(&protobuf::TypeName::default())),
                using: definition.raw_default.as_deref().map(expression),
            };
            // The old type is unknown here: assume the rewrite, which
            // `type_change_rewrites` can rule out once it is known.
            alter(change, AccessExclusive).rewrites(true)
        }
        // `DROP COLUMN`, the one other subcommand `subcommand` sends here.
        _ => Effect::new(Action::Drop, column())
            .lock(AccessExclusive)
            .details(EffectDetails::Drop(DropDetails {
                if_exists: cmd.missing_ok,
                cascade: cmd.behavior == DropBehavior::DropCascade as i32,
                concurrently: false,
            })),
    };
    Some(effect)
}

/// `ALTER CONSTRAINT`, `VALIDATE CONSTRAINT` and `DROP CONSTRAINT`, which
/// name an existing constraint (`ADD CONSTRAINT` is `add_constraint`).
fn constraint(
    target: &Target<'_>,
    subtype: At,
    cmd: &protobuf::AlterTableCmd,
    def: Option<&Node>,
) -> Effect {
    match subtype {
        At::AtAlterConstraint => {
            let name = match def {
                Some(Node::AtalterConstraint(alter)) => alter.conname.clone(),
                Some(Node::Constraint(constraint)) => constraint.conname.clone(),
                _ => cmd.name.clone(),
            };
            Effect::new(Action::Alter, target.member(ObjectKind::Constraint, &name))
                .lock(AccessExclusive)
        }
        // The referenced table of a foreign key gets ROW SHARE as well, but
        // which table that is cannot be seen here.
        At::AtValidateConstraint => Effect::new(
            Action::Validate,
            target.member(ObjectKind::Constraint, &cmd.name),
        )
        .lock(ShareUpdateExclusive)
        .scans(true),
        // `DROP CONSTRAINT`, the one other subcommand `subcommand` sends here.
        _ => Effect::new(
            Action::Drop,
            target.member(ObjectKind::Constraint, &cmd.name),
        )
        .lock(AccessExclusive)
        .details(EffectDetails::Drop(DropDetails {
            if_exists: cmd.missing_ok,
            cascade: cmd.behavior == DropBehavior::DropCascade as i32,
            concurrently: false,
        })),
    }
}

/// `ENABLE` / `DISABLE TRIGGER`.
fn trigger(target: &Target<'_>, subtype: At, cmd: &protobuf::AlterTableCmd) -> Effect {
    let enabled = !matches!(
        subtype,
        At::AtDisableTrig | At::AtDisableTrigAll | At::AtDisableTrigUser
    );
    let mode = match subtype {
        At::AtEnableAlwaysTrig => Some("always"),
        At::AtEnableReplicaTrig => Some("replica"),
        _ => None,
    };
    let scope = match subtype {
        At::AtEnableTrigAll | At::AtDisableTrigAll => "all",
        At::AtEnableTrigUser | At::AtDisableTrigUser => "user",
        _ => "named",
    };
    Effect::new(Action::Alter, target.member(ObjectKind::Trigger, &cmd.name))
        .lock(ShareRowExclusive)
        .details(EffectDetails::TriggerState(TriggerState {
            enabled,
            mode,
            scope,
        }))
}

/// `INHERIT parent` / `NO INHERIT parent`: the change, and the parent, which
/// is locked too (ShareUpdateExclusiveLock in `ATExecAddInherit`).
fn inherit(target: &Target<'_>, subtype: At, def: Option<&Node>, out: &mut Sink<'_>) {
    let (parent, parent_at) = match def {
        Some(Node::RangeVar(parent)) => (range_var(Some(parent)), out.name_at(parent.location)),
        _ => (QualifiedName::bare(""), None),
    };
    let change = if subtype == At::AtAddInherit {
        TableChange::Inherit(parent.clone())
    } else {
        TableChange::NoInherit(parent.clone())
    };
    out.push(target.change(change, AccessExclusive));
    out.push(
        Effect::new(Action::Reference, ObjectRef::new(ObjectKind::Table, parent))
            .lock(ShareUpdateExclusive)
            .at(parent_at),
    );
}

/// The subcommands that change the relation as a whole, and those not
/// modelled, which are taken to need ACCESS EXCLUSIVE.
fn table(
    target: &Target<'_>,
    subtype: At,
    cmd: &protobuf::AlterTableCmd,
    def: Option<&Node>,
) -> Effect {
    match subtype {
        At::AtChangeOwner => Effect::new(Action::Alter, target.this())
            .lock(AccessExclusive)
            .at(target.at.clone())
            .details(EffectDetails::Owner(
                cmd.newowner.as_ref().map(role_name).unwrap_or_default(),
            )),
        At::AtClusterOn => target.change(
            TableChange::ClusterOn(cmd.name.clone()),
            ShareUpdateExclusive,
        ),
        At::AtDropCluster => target.change(TableChange::SetWithoutCluster, ShareUpdateExclusive),
        At::AtSetLogged => target
            .change(TableChange::SetLogged, AccessExclusive)
            .rewrites(true),
        At::AtSetUnLogged => target
            .change(TableChange::SetUnlogged, AccessExclusive)
            .rewrites(true),
        At::AtSetAccessMethod => target
            .change(
                TableChange::SetAccessMethod(cmd.name.clone()),
                AccessExclusive,
            )
            .rewrites(true),
        At::AtSetTableSpace => target
            .change(
                TableChange::SetTablespace(cmd.name.clone()),
                AccessExclusive,
            )
            .rewrites(true),
        At::AtSetRelOptions | At::AtResetRelOptions | At::AtReplaceRelOptions => {
            rel_options(target, subtype, def)
        }
        At::AtEnableRule | At::AtEnableAlwaysRule | At::AtEnableReplicaRule | At::AtDisableRule => {
            target.change(TableChange::RuleState, AccessExclusive)
        }
        At::AtAddOf | At::AtDropOf => target.change(TableChange::OfType, AccessExclusive),
        At::AtReplicaIdentity => target.change(TableChange::ReplicaIdentity, AccessExclusive),
        At::AtEnableRowSecurity => {
            target.change(TableChange::EnableRowLevelSecurity, AccessExclusive)
        }
        At::AtDisableRowSecurity => {
            target.change(TableChange::DisableRowLevelSecurity, AccessExclusive)
        }
        At::AtForceRowSecurity => {
            target.change(TableChange::ForceRowLevelSecurity, AccessExclusive)
        }
        At::AtNoForceRowSecurity => {
            target.change(TableChange::NoForceRowLevelSecurity, AccessExclusive)
        }
        At::AtGenericOptions => target.change(TableChange::GenericOptions, AccessExclusive),
        _ => Effect::new(Action::Alter, target.this())
            .lock(AccessExclusive)
            .at(target.at.clone()),
    }
}

/// `SET (...)`, `RESET (...)` of storage parameters.
fn rel_options(target: &Target<'_>, subtype: At, def: Option<&Node>) -> Effect {
    let options: Vec<&protobuf::DefElem> = match def {
        Some(Node::List(list)) => def_elems(&list.items).collect(),
        _ => Vec::new(),
    };
    let lock = if subtype == At::AtReplaceRelOptions {
        AccessExclusive
    } else {
        options
            .iter()
            .map(|option| rel_option_lock(&option.defname))
            .max()
            .unwrap_or(AccessExclusive)
    };
    let texts = options
        .iter()
        .map(|option| {
            let name = if option.defnamespace.is_empty() {
                option.defname.clone()
            } else {
                format!("{}.{}", option.defnamespace, option.defname)
            };
            match option_value(option.arg.as_deref()) {
                Some(value) => format!("{name}={value}"),
                None => name,
            }
        })
        .collect();
    let change = if subtype == At::AtResetRelOptions {
        TableChange::ResetOptions(texts)
    } else {
        TableChange::SetOptions(texts)
    };
    target.change(change, lock)
}

/// `ATTACH PARTITION` / `DETACH PARTITION`: one effect on the parent, one on
/// the partition.
fn partition_cmd(
    target: &Target<'_>,
    subtype: At,
    partition: &protobuf::PartitionCmd,
    out: &mut Sink<'_>,
) {
    let parent = target.table;
    let details = PartitionDetails {
        parent: parent.clone(),
        default: partition
            .bound
            .as_ref()
            .is_some_and(|bound| bound.is_default),
        concurrently: partition.concurrent,
        finalize: subtype == At::AtDetachPartitionFinalize,
    };
    let name = range_var(partition.name.as_ref());
    // ATTACH: SHARE UPDATE EXCLUSIVE on the parent, ACCESS EXCLUSIVE on the
    // partition, whose rows are checked against the bound unless a valid
    // CHECK constraint already implies it (not visible here). DETACH: ACCESS
    // EXCLUSIVE on both, or SHARE UPDATE EXCLUSIVE with CONCURRENTLY/FINALIZE.
    let (action, parent_lock, partition_lock, scans) = match subtype {
        At::AtAttachPartition => (Action::Attach, ShareUpdateExclusive, AccessExclusive, true),
        _ if partition.concurrent || subtype == At::AtDetachPartitionFinalize => (
            Action::Detach,
            ShareUpdateExclusive,
            ShareUpdateExclusive,
            false,
        ),
        _ => (Action::Detach, AccessExclusive, AccessExclusive, false),
    };
    out.push(
        Effect::new(
            Action::Alter,
            ObjectRef::new(ObjectKind::Table, parent.clone()),
        )
        .lock(parent_lock)
        .at(target.at.clone())
        .details(EffectDetails::Partition(details.clone())),
    );
    out.push(
        Effect::new(action, ObjectRef::new(ObjectKind::Table, name))
            .lock(partition_lock)
            .scans(scans)
            .at(out.relation_at(partition.name.as_ref()))
            .details(EffectDetails::Partition(details)),
    );
}

/// The lock `ALTER TABLE ... SET (option)` takes (`reloptions.c`): SHARE
/// UPDATE EXCLUSIVE for storage and autovacuum parameters, ACCESS EXCLUSIVE
/// for those that change query results and any not known here.
fn rel_option_lock(name: &str) -> Lock {
    let share_update = name.starts_with("autovacuum_")
        || name.starts_with("toast_")
        || matches!(
            name,
            "fillfactor"
                | "parallel_workers"
                | "vacuum_index_cleanup"
                | "vacuum_truncate"
                | "log_autovacuum_min_duration"
                | "vacuum_max_eager_freeze_failure_rate"
                | "deduplicate_items"
                | "buffering"
                | "fastupdate"
                | "gin_pending_list_limit"
                | "pages_per_range"
                | "autosummarize"
        );
    if share_update {
        ShareUpdateExclusive
    } else {
        AccessExclusive
    }
}
