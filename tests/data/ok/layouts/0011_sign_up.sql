-- strata:up
create table sign_ups (id bigint primary key);
-- strata:down
drop table sign_ups;
