drop table table_b;
