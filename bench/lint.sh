#!/usr/bin/env bash
# `strata lint` throughput on a synthetic corpus: 2,000 migrations of 10
# statements each (20,000 statements): tables, indexes, foreign keys, column
# changes, policies, updates. Needs hyperfine. Usage: bench/lint.sh [runs]
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-10}
cargo build --release --locked -q -p strata-cli
strata="$PWD/target/release/strata"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 - "$work" <<'PY'
import os, sys
root = sys.argv[1]
os.makedirs(f"{root}/migrations")
for i in range(2000):
    prev = f"t{i-1}" if i else "t0"
    body = f"""create table t{i} (id bigint generated always as identity primary key, owner uuid, name varchar(80), created_at timestamp default now());
alter table t{i} enable row level security;
create policy p{i} on t{i} for select using (owner = auth.uid());
create index t{i}_name_idx on t{i} (name);
alter table {prev} add column c{i} text default gen_random_uuid()::text;
alter table {prev} alter column name set not null;
alter table {prev} add constraint {prev}_fk{i} foreign key (id) references t{i} (id);
update {prev} set name = 'x';
create index {prev}_c{i}_idx on {prev} (c{i});
comment on table t{i} is 'table {i}';
"""
    open(f"{root}/migrations/{i+1:05}_step_{i}.sql", "w").write(body)
PY
cd "$work"
statements=$("$strata" lint --format json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["diagnostics"]))')
hyperfine -N -i -w 2 -r "$runs" --export-markdown "$work/lint.md" \
    -n "strata lint, 2,000 files, 20,000 statements ($statements findings)" "$strata lint --format json"
cd - >/dev/null
mkdir -p bench/results
{
    echo "# strata lint throughput"
    echo
    echo "Produced by \`bench/lint.sh $runs\` on $(date -u +%Y-%m-%d); $(nproc) CPUs; load before: $(cut -d' ' -f1-3 /proc/loadavg)."
    echo
    cat "$work/lint.md"
} > bench/results/lint.md
cat bench/results/lint.md
