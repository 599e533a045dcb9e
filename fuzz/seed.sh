#!/usr/bin/env bash
# Seeds the fuzz corpus with the project's SQL fixtures: each becomes a one-file input
# (a leading 0x00 byte names it 0001_a.sql, see fuzz_targets/load_split_lint.rs).
set -euo pipefail
cd "$(dirname "$0")"
corpus=corpus/load_split_lint
mkdir -p "$corpus"
n=0
for file in ../crates/strata-sql/tests/data/ok/*.sql ../crates/strata-sql/tests/data/err/*.sql \
    ../crates/strata-sql/tests/data/analyze/*.sql ../tests/data/*/*/*.sql; do
    [ -f "$file" ] || continue
    n=$((n + 1))
    { printf '\000'; cat "$file"; } >"$corpus/seed-$n"
done
echo "seeded $corpus with $n files"
