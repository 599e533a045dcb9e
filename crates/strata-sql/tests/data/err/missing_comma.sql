CREATE TABLE t (
    id bigint PRIMARY KEY
    name text NOT NULL
);
