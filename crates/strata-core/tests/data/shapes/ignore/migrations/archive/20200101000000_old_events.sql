create table old_events (id int);
