#!/usr/bin/env python3
"""Writes a strata project whose one migration file holds N statements.

Usage: lint_file.py ROOT N

ROOT/strata.toml and ROOT/migrations/00001_big.sql: N statements cycling through
CREATE TABLE, ALTER TABLE ... ADD COLUMN, CREATE INDEX and INSERT, one a line (about
61 bytes each: 100,000 statements make a 6 MB file). The shape of a schema dump or a
squashed history, where lint once took time growing with the square of the statements.
"""
import os, sys

root, n = sys.argv[1], int(sys.argv[2])
os.makedirs(f"{root}/migrations", exist_ok=True)
with open(f"{root}/strata.toml", "w") as f:
    f.write('[migrations]\ndir = "migrations"\n')
with open(f"{root}/migrations/00001_big.sql", "w") as f:
    table = 0
    for i in range(n):
        kind = i % 4
        if kind == 0:
            table += 1
            f.write(f"create table t{table} (id bigint primary key, name text, created_at timestamptz default now());\n")
        elif kind == 1:
            f.write(f"alter table t{table} add column c{i} text;\n")
        elif kind == 2:
            f.write(f"create index t{table}_c{i - 1}_idx on t{table} (c{i - 1});\n")
        else:
            f.write(f"insert into t{table} (id, name) values ({i}, 'row {i}');\n")
