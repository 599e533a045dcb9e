//! strata-ephemeral
