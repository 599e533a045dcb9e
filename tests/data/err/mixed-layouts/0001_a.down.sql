drop table a;
