create index concurrently users_email on users (email);
