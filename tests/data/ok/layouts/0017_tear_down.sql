-- strata:up
create table tear_downs (id bigint primary key);
-- strata:down
drop table tear_downs;
