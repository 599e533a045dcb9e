#!/usr/bin/env python3
"""Turns bench/run's raw figures into bench/results/latest.md and latest.json.

Usage: report.py META_TSV RESULTS_TSV OUT_MD OUT_JSON
RESULTS_TSV lines: scenario, tool, metric, values (space separated) or the reason it was skipped.
"""
import json, statistics, sys

meta_path, results_path, md_path, json_path = sys.argv[1:5]
meta = dict(line.rstrip("\n").split("\t", 1) for line in open(meta_path) if "\t" in line)
versions = {k[8:]: v for k, v in meta.items() if k.startswith("version.")}
meta = {k: v for k, v in meta.items() if not k.startswith("version.")}

scen = {}  # scenario -> tool -> {metric: {...}} or {"skipped": reason}
order = {}
for line in open(results_path):
    scenario, tool, metric, values = line.rstrip("\n").split("\t", 3)
    entry = scen.setdefault(scenario, {}).setdefault(tool, {})
    order.setdefault(scenario, [])
    if tool not in order[scenario]:
        order[scenario].append(tool)
    if metric == "skipped":
        entry["skipped"] = values
        continue
    runs = [float(v) for v in values.split()]
    entry[metric] = {
        "median": statistics.median(runs),
        "min": min(runs),
        "max": max(runs),
        "runs": runs,
    }


def get(scenario, tool, metric="wall_ms"):
    return scen.get(scenario, {}).get(tool, {}).get(metric)


def ms(v):
    if v is None:
        return "–"
    return f"{v:,.0f} ms" if v >= 100 else f"{v:.1f} ms"


def skipped(scenario, tool):
    return scen.get(scenario, {}).get(tool, {}).get("skipped")


def paired_ratio(scenario, a, b):
    """Median of per-round ratios a/b (rounds are recorded in the same order)."""
    x, y = get(scenario, a), get(scenario, b)
    if not x or not y:
        return None
    ratios = [p / q for p, q in zip(x["runs"], y["runs"]) if q]
    return statistics.median(ratios) if ratios else None


n, pn, sn = meta["migrations"], meta["proxy_migrations"], meta["status_migrations"]
# The one-file lint sizes (absent from runs made before that scenario existed).
lf_small, lf_large = meta.get("lint_file_small"), meta.get("lint_file_large")
out = []
w = out.append
w("# strata against its peers")
w("")
w(
    f"Produced by `bench/run {meta['runs']}` on {meta['date']}: strata {meta['revision']}, "
    f"{meta['cpu']} ({meta['nproc']} CPUs, {meta['memory']}), load average at the end "
    f"{meta['load']}. One throwaway PostgreSQL on 127.0.0.1 (fsync off), a fresh database for "
    f"every run; each figure is the median (min–max) of {meta['runs']} runs "
    "(status and lint: hyperfine, after warm-up)."
)
w("")
w("Versions: " + "; ".join(f"{k} `{v or 'not installed'}`" for k, v in versions.items()) + ".")
w("")

# -- targets
targets = []
r_apply = paired_ratio("apply", "strata", "psql")
targets.append({
    "name": "strata apply within 1.3x of the psql floor",
    "value": None if r_apply is None else round(r_apply, 2),
    "display": "–" if r_apply is None else f"{r_apply:.2f}x (median of per-round ratios)",
    "met": None if r_apply is None else r_apply <= 1.3,
})
s_proxy = get("proxy", "strata")
peers = {t: get("proxy", t) for t in ("dbmate", "sqlx", "refinery")}
peers = {t: v for t, v in peers.items() if v}
if s_proxy and peers:
    fastest = min(peers, key=lambda t: peers[t]["median"])
    r = peers[fastest]["median"] / s_proxy["median"]
    missing = [t for t in ("dbmate", "sqlx", "refinery") if t not in peers]
    note = f" (of the peers that ran; skipped: {', '.join(missing)})" if missing else ""
    targets.append({
        "name": f"strata at least 2x faster than the fastest peer through the {meta['delay_ms']} ms proxy",
        "value": round(r, 2),
        "display": f"{r:.1f}x faster than {fastest}{note}",
        "met": r >= 2,
    })
else:
    targets.append({"name": "strata at least 2x faster than the fastest peer through the proxy",
                    "value": None, "display": "no peer ran", "met": None})
st = get("status", "strata")
targets.append({
    "name": f"strata status on {int(sn):,} applied migrations under 100 ms",
    "value": None if not st else st["median"],
    "display": "–" if not st else f"{st['median']:.1f} ms median",
    "met": None if not st else st["median"] < 100,
})
ls, lq = get("lint", "strata"), get("lint", "squawk")
if ls and lq:
    r = lq["median"] / ls["median"]
    targets.append({
        "name": "strata lint at least as fast as squawk per statement",
        "value": round(r, 2),
        "display": f"{ls['median'] / 20:.1f} µs against {lq['median'] / 20:.1f} µs per statement ({r:.1f}x)",
        "met": r >= 1,
    })
else:
    targets.append({"name": "strata lint at least as fast as squawk per statement", "value": None,
                    "display": "squawk skipped", "met": None})

lf_s = lf_small and get(f"lint_file_{lf_small}", "strata")
lf_l = lf_large and get(f"lint_file_{lf_large}", "strata")
if lf_s and lf_l:
    r = (lf_l["median"] / int(lf_large)) / (lf_s["median"] / int(lf_small))
    targets.append({
        "name": f"strata lint linear in statements per file ({int(lf_large):,} against {int(lf_small):,} in one file)",
        "value": round(r, 2),
        "display": f"{r:.2f}x the time per statement",
        "met": r <= 1.5,
    })
elif lf_large:
    targets.append({"name": "strata lint linear in statements per file", "value": None,
                    "display": "skipped", "met": None})


def mark(m):
    return "**met**" if m else ("not measured" if m is None else "**not met**")


w("## Targets")
w("")
w("| target | measured | |")
w("| --- | --- | --- |")
for t in targets:
    w(f"| {t['name']} | {t['display']} | {mark(t['met'])} |")
w("")

tools_apply = ["strata", "psql", "dbmate", "sqlx", "refinery"]
label = {"strata": "strata", "psql": "psql floor", "dbmate": "dbmate", "sqlx": "sqlx-cli",
         "refinery": "refinery_cli", "squawk": "squawk"}


def span(v):
    return "–" if not v else f"{ms(v['median'])} ({ms(v['min'])}–{ms(v['max'])})"


w(f"## Apply {int(n):,} small migrations (local TCP)")
w("")
w("Each migration `create table tN (id bigint primary key, v text); insert into tN values (1, 'x');`, "
  "each tool given the same files in its own layout; psql floor: one `psql -f` session sending "
  "`BEGIN; <body>; INSERT INTO hist ...; COMMIT;` per migration. One warm-up run each.")
w("")
w("| tool | median (min–max) | vs psql floor |")
w("| --- | ---: | ---: |")
for t in tools_apply:
    if skipped("apply", t):
        w(f"| {label[t]} | skipped: {skipped('apply', t)} | |")
        continue
    r = paired_ratio("apply", t, "psql")
    w(f"| {label[t]} | {span(get('apply', t))} | {'–' if r is None else f'{r:.2f}x'} |")
w("")

w(f"## Apply {int(pn):,} migrations through a proxy adding {meta['delay_ms']} ms each way")
w("")
w("`bench/delay_proxy.py` delays every chunk by the same amount in each direction (pipelined, in "
  "order). Round trips are counted by the proxy: the times the client spoke again after the server "
  f"had answered, for runs of 10 and {int(pn):,} migrations; the difference gives the cost per "
  "migration, the rest is what a run costs once (connection, lock, history tables).")
w("")
w("| tool | median (min–max) | vs strata | round trips per migration | fixed per run |")
w("| --- | ---: | ---: | ---: | ---: |")
for t in tools_apply:
    if skipped("proxy", t):
        w(f"| {label[t]} | skipped: {skipped('proxy', t)} | | | |")
        continue
    v = get("proxy", t)
    rt, fx = get("proxy", t, "round_trips_per_migration"), get("proxy", t, "round_trips_fixed")
    rel = f"{v['median'] / s_proxy['median']:.2f}x" if v and s_proxy else "–"
    w(f"| {label[t]} | {span(v)} | {rel} | {'–' if not rt else '%.2f' % rt['median']} | "
      f"{'–' if not fx else '%.0f' % fx['median']} |")
w("")

w(f"## Status with {int(sn):,} migration files, all applied; peak memory")
w("")
w("Each tool applied the files once (time shown) to its own database, then its status command was "
  "timed (`strata status`, `dbmate status`, `sqlx migrate info`); peak memory is the maximum "
  "resident set size from `/usr/bin/time -f %M`.")
w("")
w(f"| tool | status median (min–max) | peak memory median (min–max) | applying the {int(sn):,} once |")
w("| --- | ---: | ---: | ---: |")


def mb(v):
    return "–" if not v else f"{v['median'] / 1024:.1f} MB ({v['min'] / 1024:.1f}–{v['max'] / 1024:.1f})"


for t in ("strata", "dbmate", "sqlx", "refinery"):
    if skipped("status", t):
        w(f"| {label[t]} | skipped: {skipped('status', t)} | | |")
        continue
    once = get("status", t, "apply_once_ms")
    w(f"| {label[t]} | {span(get('status', t))} | {mb(get('memory', t, 'peak_kb'))} | "
      f"{'–' if not once else ms(once['median'])} |")
w("")

w("## Lint of 20,000 statements (2,000 files; the corpus of `bench/lint.sh`)")
w("")
w("`strata lint --format json` against `squawk --reporter json <the 2,000 files>`, both with "
  "their default rules; the findings count shows what each checks.")
w("")
w("| tool | median (min–max) | per statement | findings |")
w("| --- | ---: | ---: | ---: |")
for t in ("strata", "squawk"):
    if skipped("lint", t):
        w(f"| {label[t]} | skipped: {skipped('lint', t)} | | |")
        continue
    v, f = get("lint", t), get("lint", t, "findings")
    w(f"| {label[t]} | {span(v)} | {'–' if not v else '%.1f µs' % (v['median'] / 20)} | "
      f"{'–' if not f else format(f['median'], ',.0f')} |")
w("")

if lf_large:
    w(f"## Lint of one file of {int(lf_large):,} statements (the corpus of `bench/lint_file.sh`)")
    w("")
    w("One migration file from `bench/lint_file.py`: CREATE TABLE, ADD COLUMN, CREATE INDEX and INSERT "
      f"in turn, at {int(lf_small):,} and {int(lf_large):,} statements; `strata lint --format json` "
      "with the default rules. Peak memory is the maximum resident set size from `/usr/bin/time -f %M`.")
    w("")
    w("| statements | file | median (min–max) | per statement | peak memory median (min–max) | findings |")
    w("| ---: | ---: | ---: | ---: | ---: | ---: |")
    for size in (lf_small, lf_large):
        scenario = f"lint_file_{size}"
        if skipped(scenario, "strata"):
            w(f"| {int(size):,} | skipped: {skipped(scenario, 'strata')} | | | | |")
            continue
        v, f = get(scenario, "strata"), get(scenario, "strata", "findings")
        b = get(scenario, "strata", "file_bytes")
        w(f"| {int(size):,} | {'–' if not b else '%.1f MB' % (b['median'] / 1e6)} | {span(v)} | "
          f"{'–' if not v else '%.1f µs' % (v['median'] * 1000 / int(size))} | "
          f"{mb(get(scenario, 'strata', 'peak_kb'))} | {'–' if not f else format(f['median'], ',.0f')} |")
    w("")

w("## strata verify of 100 migrations (the project of `bench/verify.sh`)")
w("")
w("Every migration applied, rolled back and re-applied on strata's own throwaway cluster. Cold: "
  "an empty cache, so the cluster is made by initdb; warm: the cached template is copied.")
w("")
w("| | median (min–max) |")
w("| --- | ---: |")
for kind in ("cold", "warm"):
    s = skipped(f"verify_{kind}", "strata")
    w(f"| {kind} | {('skipped: ' + s) if s else span(get(f'verify_{kind}', 'strata'))} |")
w("")

open(md_path, "w").write("\n".join(out))
json.dump({"meta": meta, "versions": versions, "targets": targets, "scenarios": scen},
          open(json_path, "w"), indent=2, ensure_ascii=False)
