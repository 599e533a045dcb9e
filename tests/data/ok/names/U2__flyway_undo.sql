drop table two;
