create table sessions (id bigint primary key, account_id bigint references accounts);
