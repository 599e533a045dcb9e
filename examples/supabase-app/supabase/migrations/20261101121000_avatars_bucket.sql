-- Migration: avatars bucket
-- Purpose: a public bucket for avatars; users write only into their own folder.
-- strata:up
insert into storage.buckets (id, name, public) values ('avatars', 'avatars', true);

create policy "users upload their own avatar"
    on storage.objects for insert to authenticated
    with check (
        bucket_id = 'avatars'
        and (storage.foldername(name))[1] = (select auth.uid())::text
    );

-- ROLLBACK:
-- drop policy "users upload their own avatar" on storage.objects;
-- delete from storage.buckets where id = 'avatars';
