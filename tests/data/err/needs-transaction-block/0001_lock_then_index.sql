-- strata:no-transaction
lock table accounts in share mode;
create index concurrently accounts_email_idx on accounts (email);
