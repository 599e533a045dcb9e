create table flyway_typo (id int);
