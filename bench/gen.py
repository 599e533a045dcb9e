#!/usr/bin/env python3
"""Writes the same N small migrations in the layout and naming each tool expects.

Usage: gen.py ROOT N

ROOT/strata/{strata.toml,migrations/00001_t1.sql}   strata
ROOT/psql.sql                                       psql floor: BEGIN; body; history row; COMMIT
ROOT/dbmate/00001_t1.sql                            dbmate (-- migrate:up / -- migrate:down)
ROOT/sqlx/00001_t1.sql                              sqlx-cli (simple migrations)
ROOT/refinery/V1__t1.sql                            refinery
"""
import hashlib, os, sys

root, n = sys.argv[1], int(sys.argv[2])
for d in ("strata/migrations", "dbmate", "sqlx", "refinery"):
    os.makedirs(f"{root}/{d}", exist_ok=True)
with open(f"{root}/strata/strata.toml", "w") as f:
    f.write('[migrations]\ndir = "migrations"\n')
with open(f"{root}/psql.sql", "w") as psql:
    psql.write(
        "create table hist (version text primary key, name text not null, checksum text not null,"
        " applied_at timestamptz not null default now());\n"
    )
    for i in range(1, n + 1):
        body = f"create table t{i} (id bigint primary key, v text);\ninsert into t{i} values (1, 'x');\n"
        v = f"{i:05d}"
        open(f"{root}/strata/migrations/{v}_t{i}.sql", "w").write(body)
        open(f"{root}/dbmate/{v}_t{i}.sql", "w").write(f"-- migrate:up\n{body}\n-- migrate:down\n")
        open(f"{root}/sqlx/{v}_t{i}.sql", "w").write(body)
        open(f"{root}/refinery/V{i}__t{i}.sql", "w").write(body)
        checksum = hashlib.sha256(body.encode()).hexdigest()
        psql.write(
            f"BEGIN;\n{body}INSERT INTO hist (version, name, checksum) VALUES ('{v}', 't{i}', '{checksum}');\nCOMMIT;\n"
        )
