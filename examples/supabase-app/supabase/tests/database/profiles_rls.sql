-- Row-level security: a user reads only their own profile.
insert into auth.users (id, email, raw_user_meta_data)
values ('11111111-1111-1111-1111-111111111111', 'ada@example.com', '{"display_name": "Ada"}'),
       ('22222222-2222-2222-2222-222222222222', 'alan@example.com', '{"display_name": "Alan"}');

select set_config('request.jwt.claims', '{"sub": "11111111-1111-1111-1111-111111111111", "role": "authenticated"}', true);
set local role authenticated;

do $$
begin
    if (select count(*) from public.profiles) <> 1 then
        raise exception 'expected to see exactly one profile, saw %', (select count(*) from public.profiles);
    end if;
    if (select display_name from public.profiles) <> 'Ada' then
        raise exception 'saw someone else''s profile';
    end if;
end;
$$;
