//! strata-pg: talking to PostgreSQL (arrives with the apply-engine issue).
