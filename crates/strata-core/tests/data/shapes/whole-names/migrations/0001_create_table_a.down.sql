drop table table_a;
