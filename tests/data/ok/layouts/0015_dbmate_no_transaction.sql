-- migrate:up transaction:false
alter type mood add value 'happy';
-- migrate:down
select 1;
