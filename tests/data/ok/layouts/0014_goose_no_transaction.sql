-- +goose NO TRANSACTION
-- +goose Up
create index concurrently accounts_name_idx on accounts (name);
-- +goose Down
drop index concurrently accounts_name_idx;
