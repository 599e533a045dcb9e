//! strata-core
