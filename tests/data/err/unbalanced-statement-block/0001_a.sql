-- +goose Up
-- +goose StatementBegin
create table a (id int);
-- +goose Down
drop table a;
