//! strata-sql
