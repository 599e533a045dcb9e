-- strata:up
CREATE TABLE t (
  a int
);

CREATE INDEX CONCURRENTLY t_a ON t (a);
