//! How long a cluster takes to start: cold (empty template cache, so `initdb` runs) and warm
//! (the cached template is copied).
//!
//! Each measured iteration starts one cluster; stopping it and deleting the cache happen
//! outside the measurement.

use std::hint::black_box;
use std::time::Duration;

use criterion::{BatchSize, Criterion};
use strata_ephemeral::Cluster;

fn start(c: &mut Criterion) {
    let mut group = c.benchmark_group("start");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(10));

    group.bench_function("cold", |b| {
        b.iter_batched(
            || tempfile::tempdir().expect("cache dir"),
            |cache| {
                let cluster = Cluster::builder()
                    .cache_dir(cache.path())
                    .start()
                    .expect("cold start");
                // Returned so that stopping and cleaning up are not measured.
                (black_box(cluster), cache)
            },
            BatchSize::PerIteration,
        );
    });

    let cache = tempfile::tempdir().expect("cache dir");
    Cluster::builder()
        .cache_dir(cache.path())
        .start()
        .expect("warm the cache")
        .stop()
        .expect("stop");
    group.bench_function("warm", |b| {
        b.iter_batched(
            || (),
            |()| {
                Cluster::builder()
                    .cache_dir(cache.path())
                    .start()
                    .expect("warm start")
            },
            BatchSize::PerIteration,
        );
    });
    group.finish();
}

// A hand-written main rather than `criterion_group!`, whose generated public function has no
// doc comment for the workspace's `missing_docs` lint.
fn main() {
    let mut criterion = Criterion::default().configure_from_args();
    start(&mut criterion);
    criterion.final_summary();
}
