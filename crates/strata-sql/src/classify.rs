//! Whether a statement is non-transactional or transaction control: from its
//! leading tokens where the grammar settles it, otherwise from PostgreSQL's
//! parse tree, built only for the few kinds of statement that need it.
//!
//! The rules follow where PostgreSQL calls `PreventInTransactionBlock` (and
//! how it reads each option: `defGetBoolean`, lowercase option names).

use pg_query::protobuf::Token as Kind;
use pg_query::protobuf::node::Node;
use pg_query::protobuf::{
    AlterSubscriptionType, DefElem, DiscardMode, ObjectType, ReindexObjectType, TransactionStmtKind,
};

use crate::token::{Token, leading};
use crate::{NeedsTransaction, NonTransactional, TransactionControl};

/// How one statement stands towards transactions.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Class {
    pub(crate) no_transaction: Option<NonTransactional>,
    pub(crate) transaction_control: Option<TransactionControl>,
}

/// Subscriptions that earlier statements of the same input left without a
/// replication slot (`slot_name = NONE`): dropping them is transactional.
#[derive(Debug, Default)]
pub(crate) struct Subscriptions {
    slotless: Vec<String>,
}

impl Subscriptions {
    fn set_slotless(&mut self, name: &str, slotless: bool) {
        self.slotless.retain(|known| known != name);
        if slotless {
            self.slotless.push(name.to_owned());
        }
    }

    fn is_slotless(&self, name: &str) -> bool {
        self.slotless.iter().any(|known| known == name)
    }
}

/// Whether the statement only works inside a transaction block; its leading
/// keywords settle it (and, for a cursor, whether `WITH HOLD` comes before
/// `FOR`, where the grammar puts it).
pub(crate) fn needs_transaction(tokens: &[Token]) -> Option<NeedsTransaction> {
    match leading::<2>(tokens) {
        [Kind::LockP, _] => Some(NeedsTransaction::LockTable),
        [Kind::Set, Kind::Local] => Some(NeedsTransaction::SetLocal),
        [Kind::Set, Kind::Transaction] => Some(NeedsTransaction::SetTransaction),
        [Kind::Declare, _] => {
            let options: Vec<Kind> = tokens
                .iter()
                .skip_while(|token| token.kind != Kind::Cursor)
                .take_while(|token| token.kind != Kind::For)
                .map(|token| token.kind)
                .collect();
            let holds = options.windows(2).any(|w| w == [Kind::With, Kind::Hold]);
            (!holds).then_some(NeedsTransaction::DeclareCursor)
        }
        _ => None,
    }
}

/// Classifies a statement from its tokens when they settle it, or returns
/// `None` when the parse tree must decide.
///
/// The leading keywords fix the statement's kind, so the tree is needed only
/// for the kinds classified below, all of which have shallow trees (no
/// arbitrary expressions). `CREATE INDEX` is the exception with expressions,
/// and the grammar fixes where its `CONCURRENTLY` stands, so its tokens
/// decide; the same goes for `DROP INDEX`. Anything else cannot be
/// non-transactional or transaction control.
pub(crate) fn from_tokens(tokens: &[Token]) -> Option<Class> {
    let kinds = leading::<4>(tokens);
    let decided = |no_transaction| {
        Some(Class {
            no_transaction,
            transaction_control: None,
        })
    };
    match kinds {
        [Kind::Create, Kind::Index, Kind::Concurrently, ..]
        | [
            Kind::Create,
            Kind::Unique,
            Kind::Index,
            Kind::Concurrently,
            ..,
        ] => decided(Some(NonTransactional::CreateIndexConcurrently)),
        [Kind::Drop, Kind::Index, Kind::Concurrently, ..] => {
            decided(Some(NonTransactional::DropIndexConcurrently))
        }
        [
            Kind::BeginP
            | Kind::Start
            | Kind::Commit
            | Kind::EndP
            | Kind::Rollback
            | Kind::AbortP
            | Kind::Savepoint
            | Kind::Release
            | Kind::Vacuum
            | Kind::Cluster
            | Kind::Reindex
            | Kind::Discard,
            ..,
        ]
        | [
            Kind::Prepare,
            Kind::Transaction,
            Kind::Sconst | Kind::Usconst,
            ..,
        ]
        | [
            Kind::Create | Kind::Alter | Kind::Drop,
            Kind::Database | Kind::Tablespace | Kind::SystemP | Kind::Subscription,
            ..,
        ] => None,
        [Kind::Alter, Kind::Table, ..]
            if tokens.iter().any(|token| token.kind == Kind::Detach)
                && tokens.iter().any(|token| token.kind == Kind::Concurrently) =>
        {
            None
        }
        _ => decided(None),
    }
}

/// Classifies one top-level statement from its parse tree.
pub(crate) fn classify(node: &Node, subscriptions: &mut Subscriptions) -> Class {
    if let Node::TransactionStmt(stmt) = node {
        return transaction(stmt);
    }
    Class {
        no_transaction: no_transaction(node, subscriptions),
        transaction_control: None,
    }
}

fn transaction(stmt: &pg_query::protobuf::TransactionStmt) -> Class {
    use TransactionControl as Control;
    let kind = TransactionStmtKind::try_from(stmt.kind).unwrap_or(TransactionStmtKind::Undefined);
    let (control, no_transaction) = match kind {
        TransactionStmtKind::TransStmtBegin | TransactionStmtKind::TransStmtStart => {
            if stmt.options.is_empty() {
                (Some(Control::Begin), None)
            } else {
                (Some(Control::BeginWithModes), None)
            }
        }
        TransactionStmtKind::TransStmtCommit if stmt.chain => (Some(Control::CommitAndChain), None),
        TransactionStmtKind::TransStmtCommit => (Some(Control::Commit), None),
        TransactionStmtKind::TransStmtRollback if stmt.chain => {
            (Some(Control::RollbackAndChain), None)
        }
        TransactionStmtKind::TransStmtRollback => (Some(Control::Rollback), None),
        TransactionStmtKind::TransStmtSavepoint => (Some(Control::Savepoint), None),
        TransactionStmtKind::TransStmtRelease => (Some(Control::Release), None),
        TransactionStmtKind::TransStmtRollbackTo => (Some(Control::RollbackToSavepoint), None),
        TransactionStmtKind::TransStmtPrepare => (Some(Control::PrepareTransaction), None),
        TransactionStmtKind::TransStmtCommitPrepared => {
            (None, Some(NonTransactional::CommitPrepared))
        }
        TransactionStmtKind::TransStmtRollbackPrepared => {
            (None, Some(NonTransactional::RollbackPrepared))
        }
        TransactionStmtKind::Undefined => (None, None),
    };
    Class {
        no_transaction,
        transaction_control: control,
    }
}

fn no_transaction(node: &Node, subscriptions: &mut Subscriptions) -> Option<NonTransactional> {
    use NonTransactional as Non;
    match node {
        // Decided from tokens in `split`; kept here so the tree alone gives
        // the full answer, which the tests compare against.
        Node::IndexStmt(stmt) => stmt.concurrent.then_some(Non::CreateIndexConcurrently),
        Node::DropStmt(stmt) => (stmt.concurrent
            && stmt.remove_type == ObjectType::ObjectIndex as i32)
            .then_some(Non::DropIndexConcurrently),
        Node::ReindexStmt(stmt) => {
            let concurrently = def_elems(&stmt.params).any(|option| {
                option.defname == "concurrently" && bool_option(option) != Some(false)
            });
            if concurrently {
                return Some(Non::ReindexConcurrently);
            }
            match ReindexObjectType::try_from(stmt.kind).ok()? {
                ReindexObjectType::ReindexObjectSchema => Some(Non::ReindexSchema),
                ReindexObjectType::ReindexObjectDatabase => Some(Non::ReindexDatabase),
                ReindexObjectType::ReindexObjectSystem => Some(Non::ReindexSystem),
                _ => None,
            }
        }
        Node::VacuumStmt(stmt) => stmt.is_vacuumcmd.then_some(Non::Vacuum),
        Node::CreatedbStmt(_) => Some(Non::CreateDatabase),
        Node::DropdbStmt(_) => Some(Non::DropDatabase),
        Node::AlterDatabaseStmt(stmt) => def_elems(&stmt.options)
            .any(|option| option.defname == "tablespace")
            .then_some(Non::AlterDatabaseSetTablespace),
        Node::CreateTableSpaceStmt(_) => Some(Non::CreateTablespace),
        Node::DropTableSpaceStmt(_) => Some(Non::DropTablespace),
        Node::AlterSystemStmt(_) => Some(Non::AlterSystem),
        Node::AlterTableStmt(stmt) => stmt
            .cmds
            .iter()
            .any(|cmd| match cmd.node.as_ref() {
                Some(Node::AlterTableCmd(cmd)) => matches!(
                    cmd.def.as_deref().and_then(|def| def.node.as_ref()),
                    Some(Node::PartitionCmd(partition)) if partition.concurrent
                ),
                _ => false,
            })
            .then_some(Non::DetachPartitionConcurrently),
        Node::CreateSubscriptionStmt(stmt) => {
            let mut connect = true;
            let mut create_slot = None;
            let mut slotless = false;
            for option in def_elems(&stmt.options) {
                match option.defname.as_str() {
                    "connect" => connect = bool_option(option).unwrap_or(true),
                    "create_slot" => create_slot = Some(bool_option(option).unwrap_or(true)),
                    "slot_name" => slotless = is_none(option),
                    _ => {}
                }
            }
            subscriptions.set_slotless(&stmt.subname, slotless);
            // Without `connect`, PostgreSQL defaults `create_slot` to false.
            create_slot
                .unwrap_or(connect)
                .then_some(Non::CreateSubscriptionWithSlot)
        }
        Node::AlterSubscriptionStmt(stmt) => {
            let kind = AlterSubscriptionType::try_from(stmt.kind).ok()?;
            match kind {
                AlterSubscriptionType::AlterSubscriptionRefresh => {
                    Some(Non::AlterSubscriptionRefresh)
                }
                AlterSubscriptionType::AlterSubscriptionSetPublication
                | AlterSubscriptionType::AlterSubscriptionAddPublication
                | AlterSubscriptionType::AlterSubscriptionDropPublication => {
                    let refresh = def_elems(&stmt.options)
                        .find(|option| option.defname == "refresh")
                        .is_none_or(|option| bool_option(option) != Some(false));
                    refresh.then_some(Non::AlterSubscriptionWithRefresh)
                }
                AlterSubscriptionType::AlterSubscriptionOptions => {
                    let mut failover = false;
                    for option in def_elems(&stmt.options) {
                        match option.defname.as_str() {
                            "slot_name" => {
                                subscriptions.set_slotless(&stmt.subname, is_none(option))
                            }
                            "failover" => failover = true,
                            _ => {}
                        }
                    }
                    failover.then_some(Non::AlterSubscriptionSetFailover)
                }
                _ => None,
            }
        }
        Node::DropSubscriptionStmt(stmt) => {
            (!subscriptions.is_slotless(&stmt.subname)).then_some(Non::DropSubscription)
        }
        Node::ClusterStmt(stmt) => stmt.relation.is_none().then_some(Non::ClusterWithoutTable),
        Node::DiscardStmt(stmt) => {
            (stmt.target == DiscardMode::DiscardAll as i32).then_some(Non::DiscardAll)
        }
        _ => None,
    }
}

/// The `DefElem`s of an option list.
fn def_elems(options: &[pg_query::protobuf::Node]) -> impl Iterator<Item = &DefElem> {
    options
        .iter()
        .filter_map(|option| match option.node.as_ref() {
            Some(Node::DefElem(def)) => Some(&**def),
            _ => None,
        })
}

/// An option's boolean value as PostgreSQL's `defGetBoolean` reads it: no
/// value means true; `0`, `1`, `true`, `false`, `on`, `off` (any case) are
/// accepted; anything else is an error there and `None` here.
fn bool_option(option: &DefElem) -> Option<bool> {
    let Some(value) = option.arg.as_deref().and_then(|arg| arg.node.as_ref()) else {
        return Some(true);
    };
    match value {
        Node::Integer(integer) => match integer.ival {
            0 => Some(false),
            1 => Some(true),
            _ => None,
        },
        Node::Boolean(boolean) => Some(boolean.boolval),
        Node::String(_) | Node::TypeName(_) => {
            let text = word(value)?;
            if text.eq_ignore_ascii_case("true") || text.eq_ignore_ascii_case("on") {
                Some(true)
            } else if text.eq_ignore_ascii_case("false") || text.eq_ignore_ascii_case("off") {
                Some(false)
            } else {
                None
            }
        }
        _ => None,
    }
}

/// Whether an option is set to `NONE` (as `slot_name = NONE` is).
fn is_none(option: &DefElem) -> bool {
    option
        .arg
        .as_deref()
        .and_then(|arg| arg.node.as_ref())
        .and_then(word)
        == Some("none")
}

/// An option value written as a word. Reserved keywords (`true`, `false`,
/// `on`, `none`) and strings arrive as strings, but an unreserved keyword or
/// identifier (`off`, `yes`) is parsed as a type name, which PostgreSQL's
/// `defGetString` turns back into its text.
fn word(value: &Node) -> Option<&str> {
    match value {
        Node::String(string) => Some(string.sval.as_str()),
        Node::TypeName(type_name) if type_name.typmods.is_empty() && !type_name.setof => {
            match type_name.names.as_slice() {
                [name] => match name.node.as_ref() {
                    Some(Node::String(string)) => Some(string.sval.as_str()),
                    _ => None,
                },
                _ => None,
            }
        }
        _ => None,
    }
}
