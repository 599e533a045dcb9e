drop table four;
