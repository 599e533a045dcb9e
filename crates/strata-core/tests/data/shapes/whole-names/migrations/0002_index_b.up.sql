create index table_b_a_id on table_b (a_id);
