drop index concurrently users_email;
