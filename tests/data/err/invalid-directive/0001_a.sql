-- strata:lock-timeout soon
-- strata:allow some-rule
create table a (id int);
