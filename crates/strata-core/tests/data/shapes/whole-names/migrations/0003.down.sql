alter table table_a drop column label;
