alter table events add column kind text;
