#!/usr/bin/env bash
# Benchmark: `strata migrate` against psql applying the same small migrations, each in its own
# transaction with a history row; and how many Query messages strata sends per migration.
#
# Usage: bench/apply.sh [RUNS] [MIGRATIONS]      (defaults: 5 runs of 1000 migrations)
#
# Starts its own throwaway PostgreSQL (fsync off; as the `postgres` user, or `nobody`, when
# run as root), builds strata in release mode (or uses STRATA_BIN), and writes
# bench/results/apply.md. Server binaries: PG_BIN, else `pg_config --bindir`, else the newest
# /usr/lib/postgresql/*/bin.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD

runs=${1:-5}
count=${2:-1000}
[[ $runs =~ ^[1-9][0-9]*$ && $count =~ ^[1-9][0-9]*$ ]] || {
    echo "usage: bench/apply.sh [RUNS] [MIGRATIONS]" >&2
    exit 2
}
# The round-trip measurement compares a run of `small` migrations with one of `large`: the
# difference is all per-migration cost, whatever strata does once per run.
small=10
large=110
((count >= large)) || {
    echo "bench/apply.sh: MIGRATIONS must be at least $large" >&2
    exit 2
}

# --- binaries -------------------------------------------------------------------------------

if [ -n "${STRATA_BIN:-}" ]; then
    strata=$STRATA_BIN
else
    target_dir=${CARGO_TARGET_DIR:-$repo/target}
    [[ $target_dir = /* ]] || target_dir=$repo/$target_dir
    echo "building strata (release)..." >&2
    cargo build --release --quiet -p strata-cli
    strata=$target_dir/release/strata
fi
[ -x "$strata" ] || {
    echo "bench/apply.sh: no strata binary at $strata" >&2
    exit 1
}

pg_bin=${PG_BIN:-}
if [ -z "$pg_bin" ] && command -v pg_config >/dev/null; then
    pg_bin=$(pg_config --bindir)
fi
if [ -z "$pg_bin" ] || [ ! -x "$pg_bin/initdb" ]; then
    pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
fi
for program in initdb pg_ctl psql createdb; do
    [ -x "$pg_bin/$program" ] || {
        echo "bench/apply.sh: no $program in '$pg_bin' (install PostgreSQL, or set PG_BIN)" >&2
        exit 1
    }
done

# PostgreSQL refuses to run as root.
as_server=()
if [ "$(id -u)" -eq 0 ]; then
    server_user=${STRATA_PG_USER:-postgres}
    id "$server_user" >/dev/null 2>&1 || server_user=nobody
    as_server=(runuser -u "$server_user" --)
fi

# --- the server -----------------------------------------------------------------------------

work=$(mktemp -d "${TMPDIR:-/tmp}/strata-bench-apply.XXXXXX")
chmod 755 "$work"
data=$work/data
log=$work/postgres.log
server_started=
cleanup() {
    if [ -n "$server_started" ]; then
        "${as_server[@]}" "$pg_bin/pg_ctl" -D "$data" -m immediate stop >/dev/null 2>&1 || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT

mkdir "$data" "$work/socket"
touch "$log"
if [ ${#as_server[@]} -gt 0 ]; then
    chown "$server_user" "$data" "$work/socket" "$log"
fi
"${as_server[@]}" "$pg_bin/initdb" -D "$data" -U postgres -A trust -E UTF8 --no-sync >/dev/null

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' 2>/dev/null ||
    echo $((20000 + RANDOM % 20000)))
# Durability off, as in strata's own throwaway clusters: the disk is not what is compared.
# Every statement's text goes to the log only for the databases that ask (the round-trip run).
"${as_server[@]}" "$pg_bin/pg_ctl" -D "$data" -l "$log" -w -s start -o "\
 -c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$work/socket\
 -c fsync=off -c synchronous_commit=off -c full_page_writes=off\
 -c shared_buffers=128MB -c max_wal_size=4GB -c logging_collector=off\
 -c log_line_prefix='db=%d '"
server_started=1

export PGHOST=127.0.0.1 PGPORT=$port PGUSER=postgres
unset PGDATABASE PGPASSWORD PGSERVICE PGOPTIONS
psql=("$pg_bin/psql" -X -q -v ON_ERROR_STOP=1)
sql() { "${psql[@]}" -At -d "${2:-postgres}" -c "$1"; }
url() { echo "postgres://postgres@127.0.0.1:$port/$1"; }

# --- the migrations -------------------------------------------------------------------------

# Three projects sharing the files: all of them, and the first $small and $large.
for n in "$count" "$small" "$large"; do
    mkdir -p "$work/project-$n/migrations"
    printf '[migrations]\ndir = "migrations"\n' >"$work/project-$n/strata.toml"
done
psql_file=$work/psql.sql
{
    echo "create table hist (version text primary key, name text not null, checksum text not null, applied_at timestamptz not null default now());"
    for ((i = 1; i <= count; i++)); do
        version=$(printf '%04d' "$i")
        body="create table t$i (id bigint primary key, v text);
insert into t$i values (1, 'x');"
        file=${version}_t$i.sql
        printf '%s\n' "$body" >"$work/project-$count/migrations/$file"
        ((i > small)) || cp "$work/project-$count/migrations/$file" "$work/project-$small/migrations/"
        ((i > large)) || cp "$work/project-$count/migrations/$file" "$work/project-$large/migrations/"
        checksum=$(printf '%s\n' "$body" | sha256sum)
        printf "BEGIN;\n%s\nINSERT INTO hist (version, name, checksum) VALUES ('%s', 't%s', '%s');\nCOMMIT;\n" \
            "$body" "$version" "$i" "${checksum%% *}"
    done
} >"$psql_file"

# --- timing ---------------------------------------------------------------------------------

# Runs a command, its output discarded; sets `wall` and `cpu` to its wall time and its own
# CPU time (user + system: the client's, not the server's), in milliseconds.
measure() {
    local TIMEFORMAT='%3R %3U %3S'
    if ! { time "$@" >/dev/null 2>"$work/stderr"; } 2>"$work/time"; then
        cat "$work/stderr" >&2
        echo "bench/apply.sh: $* failed" >&2
        exit 1
    fi
    read -r wall cpu < <(awk '{ printf "%d %d\n", $1 * 1000, ($2 + $3) * 1000 }' "$work/time")
}

strata_migrate() { (cd "$work/project-$count" && "$strata" migrate --url "$(url "$1")"); }

# Runs `strata migrate` on a new database, setting `wall` and `cpu`.
run_strata() {
    "$pg_bin/createdb" "$1"
    measure strata_migrate "$1"
    [ "$(sql "select count(*) from strata.migrations where status = 'applied'" "$1")" = "$count" ] || {
        echo "bench/apply.sh: strata did not apply $count migrations to $1" >&2
        exit 1
    }
}

# Runs the psql script on a new database, setting `wall` and `cpu`.
run_psql() {
    "$pg_bin/createdb" "$1"
    measure "${psql[@]}" -d "$1" -f "$psql_file"
    [ "$(sql "select count(*) from hist" "$1")" = "$count" ] || {
        echo "bench/apply.sh: psql did not apply $count migrations to $1" >&2
        exit 1
    }
}

# "median min max" of the numbers after the first argument, each printed with that format.
stats() {
    local format=$1
    shift
    printf '%s\n' "$@" | sort -g | awk -v f="$format" '{ v[NR] = $1 } END {
        m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
        printf f " " f " " f "\n", m, v[1], v[NR] }'
}

echo "warming up..." >&2
run_strata warm_strata
run_psql warm_psql

strata_ms=() strata_cpu=() psql_ms=() psql_cpu=() ratios=()
for ((r = 1; r <= runs; r++)); do
    # Back to back, alternating which goes first, so that each pair sees the same machine.
    for tool in $( ((r % 2)) && echo strata psql || echo psql strata); do
        "run_$tool" "${tool}_$r"
        if [ "$tool" = strata ]; then
            strata_ms+=("$wall") strata_cpu+=("$cpu")
        else
            psql_ms+=("$wall") psql_cpu+=("$cpu")
        fi
    done
    ratios+=("$(awk -v s="${strata_ms[-1]}" -v p="${psql_ms[-1]}" 'BEGIN { printf "%.2f", s / p }')")
    echo "run $r/$runs: strata ${strata_ms[-1]} ms (client CPU ${strata_cpu[-1]} ms)," \
        "psql ${psql_ms[-1]} ms (client CPU ${psql_cpu[-1]} ms)" >&2
done
read -r s_med s_min s_max <<<"$(stats %.0f "${strata_ms[@]}")"
read -r p_med p_min p_max <<<"$(stats %.0f "${psql_ms[@]}")"
read -r sc_med sc_min sc_max <<<"$(stats %.0f "${strata_cpu[@]}")"
read -r pc_med pc_min pc_max <<<"$(stats %.0f "${psql_cpu[@]}")"
read -r r_med r_min r_max <<<"$(stats %.2f "${ratios[@]}")"
ratio=$(awk -v s="$s_med" -v p="$p_med" 'BEGIN { printf "%.2f", s / p }')
load=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown)

# --- round trips ----------------------------------------------------------------------------

# Query messages (simple protocol: `LOG:  statement:`) and executes (extended protocol) the
# server logged for database $1.
logged() {
    local db=$1 kind=$2
    grep -c "^db=$db LOG:  $kind" "$log" || true
}

# Runs $1 (strata or psql) on a new database with every statement logged.
logged_run() {
    local tool=$1 n=$2 db=rt_$1_$2
    "$pg_bin/createdb" "$db"
    sql "alter database $db set log_statement = 'all'" >/dev/null
    if [ "$tool" = strata ]; then
        (cd "$work/project-$n" && "$strata" migrate --url "$(url "$db")" >/dev/null)
    else
        # The first line makes the history table; then 5 lines per migration.
        head -n $((1 + 5 * n)) "$psql_file" | "${psql[@]}" -d "$db" >/dev/null
    fi
}

declare -A queries executes
for tool in strata psql; do
    for n in "$small" "$large"; do
        logged_run "$tool" "$n"
    done
done
# The server writes its log asynchronously to the client; give it a moment.
sleep 1
for tool in strata psql; do
    for n in "$small" "$large"; do
        queries[$tool$n]=$(logged "rt_${tool}_$n" statement:)
        executes[$tool$n]=$(logged "rt_${tool}_$n" execute)
    done
done
per_migration() {
    awk -v a="$1" -v b="$2" -v n=$((large - small)) 'BEGIN { printf "%.2f", (b - a) / n }'
}
fixed() {
    awk -v a="$1" -v per="$2" -v n="$small" 'BEGIN { printf "%.0f", a - per * n }'
}
s_q=$(per_migration "${queries[strata$small]}" "${queries[strata$large]}")
s_x=$(per_migration "${executes[strata$small]}" "${executes[strata$large]}")
p_q=$(per_migration "${queries[psql$small]}" "${queries[psql$large]}")
s_fixed=$(fixed "${queries[strata$small]}" "$s_q")
s_fixed_x=$(fixed "${executes[strata$small]}" "$s_x")

# --- report ---------------------------------------------------------------------------------

cpu=$(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | sed 's/.*: //' || true)
pg_version=$("$pg_bin/postgres" --version | sed 's/^postgres (PostgreSQL) //')
if [ -n "${STRATA_BIN:-}" ]; then
    revision=${STRATA_REVISION:-"$("$strata" --version 2>/dev/null || echo unknown) (STRATA_BIN)"}
else
    revision=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
    git diff --quiet HEAD -- crates Cargo.toml Cargo.lock 2>/dev/null ||
        revision="$revision (with uncommitted changes)"
fi
mkdir -p bench/results
report=bench/results/apply.md
cat >"$report" <<EOF
# Applying $count small migrations: strata against psql

Produced by \`bench/apply.sh $runs $count\` on $(date -u +%Y-%m-%d); strata $revision, PostgreSQL
$pg_version, ${cpu:-unknown CPU} ($(nproc) CPUs). One server on 127.0.0.1 with fsync off, both
clients over TCP to it, each run on a new database.

Each migration: \`create table tN (id bigint primary key, v text); insert into tN values (1, 'x');\`

- **strata**: \`strata migrate --url ...\` (release build), with its usual work: validating
  every file, the migration lock, the history tables, a history row and an event per
  migration. Output goes to /dev/null.
- **psql**: one \`psql -f\` session; per migration \`BEGIN; <body>; INSERT INTO hist ...; COMMIT;\`
  (psql sends each statement as its own Query message).

## Wall time ($runs runs each, after one warm-up run each)

| | median | min | max | client CPU (median) |
| --- | ---: | ---: | ---: | ---: |
| strata migrate | $s_med ms | $s_min ms | $s_max ms | $sc_med ms |
| psql -f | $p_med ms | $p_min ms | $p_max ms | $pc_med ms |

strata / psql: **${r_med}x**, the median of the $runs runs' ratios (each run times the two
back to back; min ${r_min}x, max ${r_max}x); the ratio of the medians is ${ratio}x. Load
average at the end: $load. Runs, strata: ${strata_ms[*]} ms; psql: ${psql_ms[*]} ms.

## Round trips

Every statement logged (\`log_statement = 'all'\`), runs of $small and $large migrations
compared; the difference divided by $((large - small)) is the per-migration cost.

| | Query messages per migration | extended-protocol executes per migration | fixed per run |
| --- | ---: | ---: | ---: |
| strata migrate | $s_q | $s_x | $s_fixed Query + $s_fixed_x execute |
| psql -f | $p_q | 0 | |

Raw counts (Query messages, executes): strata $small: ${queries[strata$small]}, ${executes[strata$small]};
strata $large: ${queries[strata$large]}, ${executes[strata$large]}; psql $small: ${queries[psql$small]};
psql $large: ${queries[psql$large]}.
EOF
cat "$report"
