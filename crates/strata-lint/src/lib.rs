//! strata-lint: judging SQL (rules arrive with the lint issue).
