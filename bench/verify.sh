#!/usr/bin/env bash
# `strata verify` on a generated 100-migration project (every migration with a
# down, so 100 round trips), and the cost of a cold and a warm throwaway-cluster
# start. Needs hyperfine (apt-get install hyperfine). Usage: bench/verify.sh [runs]
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
cargo build --release --locked -q -p strata-cli
strata="$PWD/target/release/strata"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/project/migrations"
for i in $(seq 1 100); do
    printf -- '-- strata:up\ncreate table t%d (id bigint generated always as identity primary key, name text not null, created_at timestamptz not null default now());\ncreate index t%d_name_idx on t%d (name);\ninsert into t%d (name) values (%s);\n-- strata:down\ndrop table t%d;\n' \
        "$i" "$i" "$i" "$i" "'seed'" "$i" > "$work/project/migrations/$(printf '%04d' "$i")_step_$i.sql"
done
mkdir -p "$work/empty/migrations"
echo "select 1;" > "$work/empty/migrations/0001_noop.sql"
mkdir -p bench/results
out="$PWD/bench/results/verify.md"
{
    echo "# strata verify"
    echo
    echo "Produced by \`bench/verify.sh $runs\` on $(date -u +%Y-%m-%d); $(nproc) CPUs; load before: $(cut -d' ' -f1-3 /proc/loadavg)."
    echo
} > "$out"
cd "$work/project"
hyperfine -N -w 1 -r "$runs" --export-markdown "$work/verify.md" \
    -n "verify, 100 migrations with round trips (warm cluster start)" "$strata verify"
cd "$work/empty"
hyperfine -N -w 1 -r "$runs" --export-markdown "$work/warm.md" \
    -n "throwaway cluster, warm start (verify of one no-op migration)" "$strata verify"
hyperfine -N -r "$runs" --export-markdown "$work/cold.md" \
    --prepare "rm -rf $work/cache" \
    -n "throwaway cluster, cold start: initdb (verify of one no-op migration, empty cache)" \
    "env STRATA_CACHE_DIR=$work/cache $strata verify"
cd - >/dev/null
for table in verify warm cold; do
    cat "$work/$table.md" >> "$out"
    echo >> "$out"
done
cat "$out"
