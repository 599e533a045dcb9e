#!/usr/bin/env bash
# `strata lint` of one migration file of many statements (lint_file.py): time and peak
# memory at a small and a large size, to show both grow in proportion to the file. Needs
# hyperfine and GNU time (apt-get install hyperfine time).
#
# Usage: bench/lint_file.sh [runs] [statements...]   (default 5 runs; 10000 and 100000)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
shift || true
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(10000 100000)
cargo build --release --locked -q -p strata-cli
strata="$PWD/target/release/strata"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
load=$(cut -d' ' -f1-3 /proc/loadavg)
rows=$work/rows.tsv
: >"$rows"
for n in "${sizes[@]}"; do
    project=$work/lint_$n
    python3 bench/lint_file.py "$project" "$n"
    bytes=$(stat -c %s "$project/migrations/00001_big.sql")
    cmd="$strata lint --config $project/strata.toml --format json"
    # Findings make strata exit 1: hence `|| true` and hyperfine's -i.
    findings=$({ $cmd 2>/dev/null || true; } | python3 -c 'import json, sys; print(len(json.load(sys.stdin)["diagnostics"]))')
    hyperfine -N -i -w 1 -r "$runs" --export-json "$work/time_$n.json" -n "lint $n" "$cmd" >&2
    mem=()
    for ((r = 0; r < runs; r++)); do
        /usr/bin/time -f %M -o "$work/mem" $cmd >/dev/null 2>&1 || true
        mem+=("$(tail -n1 "$work/mem")")
    done
    printf '%s\t%s\t%s\t%s\t%s\n' "$n" "$bytes" "$findings" "$work/time_$n.json" "${mem[*]}" >>"$rows"
done
mkdir -p bench/results
python3 - "$rows" "$runs" "$load" "$(nproc)" "$(git rev-parse --short HEAD 2>/dev/null || echo unknown)" >bench/results/lint_file.md <<'PY'
import json, statistics, sys
rows_path, runs, load, nproc, revision = sys.argv[1:6]
print("# strata lint of one large file")
print()
print(f"Produced by `bench/lint_file.sh {runs}` at {revision}; {nproc} CPUs; load before: {load}. "
      "One migration file of N statements from `bench/lint_file.py` (CREATE TABLE, ADD COLUMN, "
      "CREATE INDEX and INSERT in turn); `strata lint --format json`, every default rule. Times "
      f"from hyperfine after one warm-up, peak memory (maximum resident set) from GNU time; median "
      f"(min–max) of {runs} runs.")
print()
print("| statements | file | median (min–max) | per statement | peak memory median (min–max) | findings |")
print("| ---: | ---: | ---: | ---: | ---: | ---: |")
per = []
for line in open(rows_path):
    n, size, findings, times, mem = line.rstrip("\n").split("\t")
    t = [x * 1000 for x in json.load(open(times))["results"][0]["times"]]
    m = [int(x) / 1024 for x in mem.split()]
    per.append((int(n), statistics.median(t) / int(n) * 1000))
    print(f"| {int(n):,} | {int(size) / 1e6:.1f} MB | {statistics.median(t):,.0f} ms ({min(t):,.0f}–{max(t):,.0f}) "
          f"| {per[-1][1]:.1f} µs | {statistics.median(m):.0f} MB ({min(m):.0f}–{max(m):.0f}) | {int(findings):,} |")
if len(per) > 1:
    (n0, p0), (n1, p1) = per[0], per[-1]
    print()
    print(f"Time per statement at {n1:,} statements is {p1 / p0:.2f}x that at {n0:,} (1.00x is linear).")
PY
cat bench/results/lint_file.md
