alter table items drop column sku;
