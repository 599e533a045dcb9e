//! How long `split` takes over many small migration bodies: the shape of
//! `strata validate` on a project with 10,000 migrations. Divide a reported
//! time by 10,000 for the cost of one file.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_main};

const FILES: usize = 10_000;

/// A migration body of 3 to 5 statements: create table, create index,
/// insert, and for some an alter table and a second insert.
fn migration(n: usize) -> String {
    let mut sql = format!(
        "-- strata:up\n-- Migration {n}: orders for tenant {n}.\nCREATE TABLE orders_{n} (\n    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,\n    customer_id bigint NOT NULL REFERENCES customers (id),\n    reference text NOT NULL,\n    total numeric(12, 2) NOT NULL DEFAULT 0,\n    created_at timestamptz NOT NULL DEFAULT now()\n);\n\nCREATE INDEX orders_{n}_customer_idx ON orders_{n} (customer_id, created_at);\n"
    );
    if !n.is_multiple_of(3) {
        sql.push_str(&format!(
            "\nALTER TABLE orders_{n} ADD COLUMN note text, ADD CONSTRAINT orders_{n}_total_check CHECK (total >= 0);\n"
        ));
    }
    sql.push_str(&format!(
        "\nINSERT INTO orders_{n} (customer_id, reference, total) VALUES (1, 'first; order', 10.50), (2, 'second', 3);\n"
    ));
    if n % 3 == 2 {
        sql.push_str(&format!(
            "INSERT INTO audit_log (event, payload) VALUES ('created', '{{\"table\": \"orders_{n}\"}}');\n"
        ));
    }
    sql
}

fn bench(c: &mut Criterion) {
    let files: Vec<String> = (0..FILES).map(migration).collect();
    let mut group = c.benchmark_group("10k migrations");
    group.throughput(Throughput::Elements(FILES as u64));
    group.sample_size(10);

    group.bench_function("strata_sql::split", |b| {
        b.iter(|| {
            for file in &files {
                let _ = black_box(strata_sql::split(black_box(file)));
            }
        });
    });

    // `split` is pure and libpg_query keeps its state per thread, so a caller
    // can spread files over the machine's cores.
    group.bench_function("strata_sql::split on 2 threads", |b| {
        let (first, second) = files.split_at(FILES / 2);
        b.iter(|| {
            std::thread::scope(|scope| {
                for half in [first, second] {
                    scope.spawn(move || {
                        for file in half {
                            let _ = black_box(strata_sql::split(black_box(file)));
                        }
                    });
                }
            });
        });
    });

    // For comparison: decoding the full parse tree of every statement.
    group.bench_function("pg_query::parse (full tree, for comparison)", |b| {
        b.iter(|| {
            for file in &files {
                let _ = black_box(pg_query::parse(black_box(file), 0));
            }
        });
    });

    group.finish();
}

/// The benchmark group, configured from the command line (what
/// `criterion_group!` would generate, written out to carry a doc comment).
fn benches() {
    let mut criterion = Criterion::default().configure_from_args();
    bench(&mut criterion);
}

criterion_main!(benches);
