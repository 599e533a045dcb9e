create table users (
  id bigint generated always as identity primary key,
  updated_at timestamptz not null default now()
);
