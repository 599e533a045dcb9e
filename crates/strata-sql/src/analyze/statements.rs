//! From one statement's parse tree to its effects: a dispatcher over the
//! families of statements, each in its own file.
//!
//! Lock levels follow the lock each command's implementation in PostgreSQL
//! takes; the families' comments name the exceptions.

use pg_query::protobuf::node::Node;

use super::location::Sink;
use super::{
    access, alter_table, dml, indexes, maintenance, objects, routines, schemas, tables, types,
    views,
};

/// Appends the effects of one top-level statement to `out`. Statements not
/// listed here are not modelled and have no effects.
pub(super) fn effects(node: &Node, out: &mut Sink<'_>) {
    match node {
        Node::CreateStmt(stmt) => tables::create_table(stmt, out),
        Node::AlterTableStmt(stmt) => alter_table::alter_table(stmt, out),
        Node::IndexStmt(stmt) => indexes::create_index(stmt, out),
        Node::DropStmt(stmt) => objects::drop(stmt, out),
        Node::RenameStmt(stmt) => objects::rename(stmt, out),
        Node::CommentStmt(stmt) => objects::comment(stmt, out),
        Node::AlterOwnerStmt(stmt) => objects::alter_owner(stmt, out),
        Node::AlterObjectSchemaStmt(stmt) => objects::set_schema(stmt, out),
        Node::CreatePolicyStmt(stmt) => access::create_policy(stmt, out),
        Node::AlterPolicyStmt(stmt) => access::alter_policy(stmt, out),
        Node::GrantStmt(stmt) => access::grant(stmt, out),
        Node::AlterDefaultPrivilegesStmt(stmt) => access::alter_default_privileges(stmt, out),
        Node::GrantRoleStmt(stmt) => access::grant_role(stmt, out),
        Node::CreateRoleStmt(stmt) => access::create_role(stmt, out),
        Node::AlterRoleStmt(stmt) => access::alter_role(stmt, out),
        Node::DropRoleStmt(stmt) => access::drop_role(stmt, out),
        Node::ViewStmt(stmt) => views::view(stmt, node, out),
        Node::CreateTableAsStmt(stmt) => views::create_table_as(stmt, node, out),
        Node::CreateFunctionStmt(stmt) => routines::create_function(stmt, out),
        Node::AlterFunctionStmt(stmt) => routines::alter_function(stmt, out),
        Node::CreateTrigStmt(stmt) => routines::create_trigger(stmt, out),
        Node::RuleStmt(stmt) => routines::rule(stmt, out),
        Node::CreateEnumStmt(stmt) => types::create_enum(stmt, out),
        Node::CompositeTypeStmt(stmt) => types::composite(stmt, out),
        Node::CreateRangeStmt(stmt) => types::create_range(stmt, out),
        Node::CreateDomainStmt(stmt) => types::create_domain(stmt, out),
        Node::DefineStmt(stmt) => types::define(stmt, out),
        Node::AlterEnumStmt(stmt) => types::alter_enum(stmt, out),
        Node::CreateSchemaStmt(stmt) => schemas::create_schema(stmt, out),
        Node::CreateExtensionStmt(stmt) => schemas::create_extension(stmt, out),
        Node::CreateSeqStmt(stmt) => schemas::create_sequence(stmt, out),
        Node::AlterSeqStmt(stmt) => schemas::alter_sequence(stmt, out),
        Node::SelectStmt(stmt) => dml::select(stmt, node, out),
        Node::InsertStmt(stmt) => dml::insert(stmt, node, out),
        Node::UpdateStmt(stmt) => dml::update(stmt, node, out),
        Node::DeleteStmt(stmt) => dml::delete(stmt, node, out),
        Node::MergeStmt(stmt) => dml::merge(stmt, node, out),
        Node::CopyStmt(stmt) => dml::copy(stmt, out),
        Node::TruncateStmt(stmt) => dml::truncate(stmt, out),
        Node::LockStmt(stmt) => dml::lock(stmt, out),
        Node::VacuumStmt(stmt) => maintenance::vacuum(stmt, out),
        Node::ClusterStmt(stmt) => maintenance::cluster(stmt, out),
        Node::ReindexStmt(stmt) => maintenance::reindex(stmt, out),
        Node::RefreshMatViewStmt(stmt) => maintenance::refresh(stmt, out),
        _ => {}
    }
}
