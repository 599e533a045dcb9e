alter table items add column sku text;
