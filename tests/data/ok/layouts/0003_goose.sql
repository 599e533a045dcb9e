-- +goose Up
-- +goose StatementBegin
create function touch_account() returns trigger language plpgsql as $$
begin
    new.name := coalesce(new.name, 'anonymous');
    return new;
end;
$$;
-- +goose StatementEnd

-- +goose Down
drop function touch_account();
