drop index table_b_a_id;
