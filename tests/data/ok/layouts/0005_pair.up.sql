create table tags (id bigint primary key, label text not null);
