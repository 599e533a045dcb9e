-- Migration: strata sections
-- strata:up
create table accounts (
    id bigint generated always as identity primary key,
    email text not null unique
);

-- strata:down
drop table accounts;
