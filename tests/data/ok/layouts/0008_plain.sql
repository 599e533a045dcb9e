insert into tags (id, label) values (1, 'first');
