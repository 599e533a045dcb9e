//! The Supabase stand-in on a real cluster made with Supabase's roles: installed by the
//! superuser `supabase_admin`, used as `postgres`, which is not a superuser, as migrations use
//! it.
//!
//! One cluster serves every scenario: each gets a database of its own, created and given the
//! stand-in at the same moment as the others, which also proves that installs into several
//! databases of one cluster do not trip over the roles they share.

use std::thread;

use strata_ephemeral::supabase;
use strata_ephemeral::{Cluster, Roles};
use tokio::runtime::Runtime;
use tokio_postgres::{Client, NoTls, SimpleQueryMessage};

const USER_1: &str = "11111111-1111-4111-8111-111111111111";
const USER_2: &str = "22222222-2222-4222-8222-222222222222";

/// Rows of one statement, every value as text (`None` for NULL).
type Rows = Vec<Vec<Option<String>>>;

/// A connection to one database, used synchronously.
struct Db {
    runtime: Runtime,
    client: Client,
}

impl Db {
    /// As the superuser, `supabase_admin`.
    fn admin(cluster: &Cluster, database: &str) -> Self {
        Self::connect(&cluster.url(database))
    }

    /// As `postgres`, the role migrations run as.
    fn postgres(cluster: &Cluster, database: &str) -> Self {
        Self::connect(&cluster.user_url(database))
    }

    fn connect(url: &str) -> Self {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("tokio runtime");
        let client = runtime.block_on(async {
            let (client, connection) = tokio_postgres::connect(url, NoTls)
                .await
                .unwrap_or_else(|e| panic!("connect to {url}: {e}"));
            tokio::spawn(async move {
                // The connection ends when the client drops: nothing to report.
                let _ = connection.await;
            });
            client
        });
        Self { runtime, client }
    }

    /// Runs `sql` (one or more statements) in this session and returns the rows of the last
    /// statement.
    fn try_rows(&self, sql: &str) -> Result<Rows, tokio_postgres::Error> {
        let messages = self.runtime.block_on(self.client.simple_query(sql))?;
        let mut statements: Vec<Rows> = vec![Vec::new()];
        for message in messages {
            match message {
                SimpleQueryMessage::Row(row) => {
                    let values = (0..row.len()).map(|i| row.get(i).map(str::to_owned));
                    statements
                        .last_mut()
                        .expect("one statement at least")
                        .push(values.collect());
                }
                SimpleQueryMessage::CommandComplete(_) => statements.push(Vec::new()),
                _ => {}
            }
        }
        // The entry after the last CommandComplete is empty.
        statements.pop();
        Ok(statements.pop().unwrap_or_default())
    }

    fn rows(&self, sql: &str) -> Rows {
        self.try_rows(sql)
            .unwrap_or_else(|e| panic!("{sql}: {e:?}"))
    }

    fn execute(&self, sql: &str) {
        self.rows(sql);
    }

    /// The first column of the last statement's rows; NULL reads as `<null>`.
    fn column(&self, sql: &str) -> Vec<String> {
        self.rows(sql)
            .into_iter()
            .map(|row| text(row.into_iter().next().flatten()))
            .collect()
    }

    /// The single value the last statement returns.
    fn value(&self, sql: &str) -> String {
        let column = self.column(sql);
        assert_eq!(column.len(), 1, "{sql}: expected one row, got {column:?}");
        column.into_iter().next().unwrap_or_default()
    }

    /// Runs `sql` as `role` with these JWT claims set, as PostgREST does for a request: in a
    /// transaction, claims in `request.jwt.claims`, then `set local role`. The transaction is
    /// rolled back afterwards.
    fn as_role(
        &self,
        role: &str,
        claims: Option<&str>,
        sql: &str,
    ) -> Result<Rows, tokio_postgres::Error> {
        let claims = claims.map_or_else(String::new, |claims| {
            format!("select set_config('request.jwt.claims', '{claims}', true);")
        });
        self.execute(&format!("begin; {claims} set local role {role};"));
        let result = self.try_rows(sql);
        self.execute("rollback");
        result
    }
}

fn text(value: Option<String>) -> String {
    value.unwrap_or_else(|| "<null>".to_owned())
}

fn first_column(rows: Rows) -> Vec<String> {
    rows.into_iter()
        .map(|row| text(row.into_iter().next().flatten()))
        .collect()
}

fn claims_of(user: &str) -> String {
    format!(r#"{{"sub":"{user}","role":"authenticated","email":"{user}@example.com"}}"#)
}

/// Installs the stand-in as strata does: its SQL through a connection, as the superuser.
fn install(cluster: &Cluster, database: &str) {
    Db::admin(cluster, database).execute(supabase::STANDIN_SQL);
}

/// The SQLSTATE and message of a failed statement.
fn failure(error: &tokio_postgres::Error) -> (String, String) {
    error.as_db_error().map_or_else(
        || (String::new(), error.to_string()),
        |e| (e.code().code().to_owned(), e.message().to_owned()),
    )
}

/// Adds two users, as Supabase Auth would (a subset of the columns it fills).
fn add_users(db: &Db) {
    db.execute(&format!(
        "insert into auth.users (instance_id, id, aud, role, email, raw_app_meta_data, \
         raw_user_meta_data, created_at, updated_at) values \
         ('00000000-0000-0000-0000-000000000000', '{USER_1}', 'authenticated', 'authenticated', \
          'one@example.com', '{{\"provider\":\"email\"}}', '{{}}', now(), now()), \
         ('00000000-0000-0000-0000-000000000000', '{USER_2}', 'authenticated', 'authenticated', \
          'two@example.com', '{{\"provider\":\"email\"}}', '{{}}', now(), now())"
    ));
}

fn installing_twice_creates_everything(cluster: &Cluster, database: &str) {
    // The scenario runner installed it once already.
    install(cluster, database);
    let db = Db::postgres(cluster, database);

    let roles = db.column(
        "select format('%s super=%s login=%s inherit=%s bypassrls=%s createrole=%s', rolname, \
         rolsuper, rolcanlogin, rolinherit, rolbypassrls, rolcreaterole) from pg_roles \
         where rolname in ('anon', 'authenticated', 'service_role', 'authenticator', \
         'supabase_admin', 'supabase_auth_admin', 'supabase_storage_admin', 'dashboard_user', \
         'supabase_functions_admin', 'pgsodium_keyiduser', 'postgres') order by rolname",
    );
    assert_eq!(
        roles,
        [
            "anon super=f login=f inherit=f bypassrls=f createrole=f",
            "authenticated super=f login=f inherit=f bypassrls=f createrole=f",
            "authenticator super=f login=t inherit=f bypassrls=f createrole=f",
            "dashboard_user super=f login=f inherit=t bypassrls=f createrole=t",
            "pgsodium_keyiduser super=f login=f inherit=t bypassrls=f createrole=f",
            "postgres super=f login=t inherit=t bypassrls=t createrole=t",
            "service_role super=f login=f inherit=f bypassrls=t createrole=f",
            "supabase_admin super=t login=t inherit=t bypassrls=t createrole=t",
            "supabase_auth_admin super=f login=t inherit=f bypassrls=f createrole=t",
            "supabase_functions_admin super=f login=t inherit=f bypassrls=f createrole=t",
            "supabase_storage_admin super=f login=t inherit=f bypassrls=f createrole=t",
        ]
    );
    // What Supabase's postgres is a member of, and what it is not.
    assert_eq!(
        db.column(
            "select r.rolname || ' ' || pg_has_role('postgres', r.oid, 'member') from pg_roles r \
             where r.rolname in ('anon', 'authenticated', 'service_role', 'pg_read_all_data', \
             'pg_signal_backend', 'supabase_auth_admin', 'supabase_storage_admin') \
             order by r.rolname"
        ),
        [
            "anon true",
            "authenticated true",
            "pg_read_all_data true",
            "pg_signal_backend true",
            "service_role true",
            "supabase_auth_admin false",
            "supabase_storage_admin false",
        ]
    );
    assert_eq!(
        db.value(
            "select pg_has_role('authenticator', 'anon', 'member') \
             and pg_has_role('authenticator', 'authenticated', 'member') \
             and pg_has_role('authenticator', 'service_role', 'member')"
        ),
        "t"
    );

    assert_eq!(
        db.column(
            "select nspname || ' ' || pg_get_userbyid(nspowner) from pg_namespace \
             where nspname in ('extensions', 'auth', 'storage', 'public', \
             'supabase_functions', 'vault') order by nspname"
        ),
        [
            "auth supabase_admin",
            "extensions supabase_admin",
            "public postgres",
            "storage supabase_admin",
            "supabase_functions supabase_admin",
            "vault supabase_admin",
        ]
    );
    // postgres uses auth and storage, and creates nothing there.
    assert_eq!(
        db.value(
            "select has_schema_privilege('postgres', 'auth', 'usage') \
             and not has_schema_privilege('postgres', 'auth', 'create') \
             and not has_schema_privilege('postgres', 'storage', 'create') \
             and has_table_privilege('postgres', 'auth.users', 'select, insert, references, trigger') \
             and has_database_privilege('postgres', current_database(), 'create')"
        ),
        "t"
    );
    assert_eq!(
        db.column(
            "select extname || ' in ' || extnamespace::regnamespace from pg_extension \
             where extname in ('uuid-ossp', 'pgcrypto') order by extname"
        ),
        ["pgcrypto in extensions", "uuid-ossp in extensions"]
    );

    assert_eq!(
        db.column(
            "select column_name from information_schema.columns \
             where table_schema = 'auth' and table_name = 'users' order by ordinal_position"
        ),
        [
            "instance_id",
            "id",
            "aud",
            "role",
            "email",
            "encrypted_password",
            "email_confirmed_at",
            "invited_at",
            "confirmation_token",
            "confirmation_sent_at",
            "recovery_token",
            "recovery_sent_at",
            "email_change_token_new",
            "email_change",
            "email_change_sent_at",
            "last_sign_in_at",
            "raw_app_meta_data",
            "raw_user_meta_data",
            "is_super_admin",
            "created_at",
            "updated_at",
            "phone",
            "phone_confirmed_at",
            "phone_change",
            "phone_change_token",
            "phone_change_sent_at",
            "confirmed_at",
            "email_change_token_current",
            "email_change_confirm_status",
            "banned_until",
            "reauthentication_token",
            "reauthentication_sent_at",
            "is_sso_user",
            "deleted_at",
            "is_anonymous",
        ]
    );
    assert_eq!(
        db.column(
            "select column_name from information_schema.columns \
             where table_schema = 'auth' and table_name = 'identities' order by ordinal_position"
        ),
        [
            "provider_id",
            "user_id",
            "identity_data",
            "provider",
            "last_sign_in_at",
            "created_at",
            "updated_at",
            "email",
            "id",
        ]
    );
    assert_eq!(
        db.column(
            "select column_name from information_schema.columns \
             where table_schema = 'storage' and table_name = 'buckets' order by ordinal_position"
        ),
        [
            "id",
            "name",
            "owner",
            "created_at",
            "updated_at",
            "public",
            "avif_autodetection",
            "file_size_limit",
            "allowed_mime_types",
            "owner_id",
        ]
    );
    assert_eq!(
        db.column(
            "select column_name from information_schema.columns \
             where table_schema = 'storage' and table_name = 'objects' order by ordinal_position"
        ),
        [
            "id",
            "bucket_id",
            "name",
            "owner",
            "created_at",
            "updated_at",
            "last_accessed_at",
            "metadata",
            "path_tokens",
            "version",
            "owner_id",
            "user_metadata",
        ]
    );
    assert_eq!(
        db.column(
            "select c.oid::regclass::text || ' rls=' || c.relrowsecurity || ' owner=' \
             || pg_get_userbyid(c.relowner) from pg_class c \
             where c.oid in ('auth.users'::regclass, 'auth.identities'::regclass, \
             'storage.buckets'::regclass, 'storage.objects'::regclass) order by 1"
        ),
        [
            "auth.identities rls=true owner=supabase_auth_admin",
            "auth.users rls=true owner=supabase_auth_admin",
            "storage.buckets rls=true owner=supabase_storage_admin",
            "storage.objects rls=true owner=supabase_storage_admin",
        ]
    );

    for function in [
        "auth.uid()",
        "auth.role()",
        "auth.email()",
        "auth.jwt()",
        "storage.foldername(text)",
        "storage.filename(text)",
        "storage.extension(text)",
    ] {
        assert_eq!(
            db.value(&format!(
                "select to_regprocedure('{function}') is not null \
                 and has_function_privilege('anon', '{function}', 'execute') \
                 and has_function_privilege('authenticated', '{function}', 'execute')"
            )),
            "t",
            "{function}"
        );
    }
    for schema in ["auth", "storage", "extensions", "public"] {
        for role in ["anon", "authenticated", "service_role"] {
            assert_eq!(
                db.value(&format!(
                    "select has_schema_privilege('{role}', '{schema}', 'usage')"
                )),
                "t",
                "{role} on schema {schema}"
            );
        }
    }
    // Like Supabase: the API roles reach storage's tables (RLS decides), not auth's.
    assert_eq!(
        db.value(
            "select has_table_privilege('authenticated', 'storage.objects', 'select, insert') \
             and has_table_privilege('anon', 'storage.buckets', 'select') \
             and not has_table_privilege('authenticated', 'auth.users', 'select') \
             and not has_table_privilege('anon', 'auth.users', 'select')"
        ),
        "t"
    );

    assert_eq!(
        db.column(
            "select pubname || ' alltables=' || puballtables || ' tables=' || \
             (select count(*) from pg_publication_tables t where t.pubname = p.pubname) \
             || ' owner=' || pg_get_userbyid(pubowner) from pg_publication p"
        ),
        ["supabase_realtime alltables=false tables=0 owner=postgres"]
    );

    // The database's search path reaches `extensions`, in sessions opened after the install.
    assert_eq!(
        db.value("show search_path"),
        r#""$user", public, extensions"#
    );
    assert_eq!(
        db.value("select length(uuid_generate_v4()::text) + length(gen_random_uuid()::text)"),
        "72"
    );
    assert_eq!(
        db.value("select extensions.crypt('secret', hash) = hash from (select extensions.crypt('secret', extensions.gen_salt('bf')) as hash) s"),
        "t"
    );

    // A table created by a migration afterwards (as postgres) is open to the API roles.
    db.execute(
        "create table public.things (id bigint generated by default as identity primary key); \
         alter publication supabase_realtime add table public.things",
    );
    assert_eq!(
        db.value(
            "select has_table_privilege('anon', 'public.things', 'select, insert, update, delete') \
             and has_table_privilege('authenticated', 'public.things', 'select, insert') \
             and has_table_privilege('service_role', 'public.things', 'select') \
             and has_sequence_privilege('authenticated', 'public.things_id_seq', 'usage')"
        ),
        "t"
    );
}

fn row_level_security_follows_the_jwt(cluster: &Cluster, database: &str) {
    let db = Db::postgres(cluster, database);
    add_users(&db);
    db.execute(&format!(
        "create table public.notes (
             id bigint generated always as identity primary key,
             owner uuid not null references auth.users (id),
             body text
         );
         alter table public.notes enable row level security;
         create policy \"owners read their notes\" on public.notes
             for select using ((select auth.uid()) = owner);
         create policy \"owners write their notes\" on public.notes
             for insert with check ((select auth.uid()) = owner);
         insert into public.notes (owner, body) values
             ('{USER_1}', 'note of user 1'), ('{USER_2}', 'note of user 2');"
    ));

    for (user, note) in [(USER_1, "note of user 1"), (USER_2, "note of user 2")] {
        let claims = claims_of(user);
        let rows = db
            .as_role("authenticated", Some(&claims), "select count(*) from notes")
            .expect("count notes");
        assert_eq!(first_column(rows), ["1"], "{user}");
        let rows = db
            .as_role("authenticated", Some(&claims), "select body from notes")
            .expect("read notes");
        assert_eq!(first_column(rows), [note], "{user}");
    }

    let claims = claims_of(USER_1);
    let own = format!("insert into notes (owner, body) values ('{USER_1}', 'mine') returning body");
    let rows = db
        .as_role("authenticated", Some(&claims), &own)
        .expect("insert an own note");
    assert_eq!(first_column(rows), ["mine"]);
    let other = format!("insert into notes (owner, body) values ('{USER_2}', 'theirs')");
    let error = db
        .as_role("authenticated", Some(&claims), &other)
        .expect_err("inserting another user's note");
    let message = format!("{error:?}");
    assert!(
        message.contains("row-level security"),
        "unexpected error: {message}"
    );

    let rows = db
        .as_role(
            "anon",
            Some(r#"{"role":"anon"}"#),
            "select count(*) from notes",
        )
        .expect("count notes as anon");
    assert_eq!(first_column(rows), ["0"]);
    let rows = db
        .as_role("anon", None, "select count(*) from notes")
        .expect("count notes without claims");
    assert_eq!(first_column(rows), ["0"]);
    let rows = db
        .as_role("service_role", None, "select count(*) from notes")
        .expect("count notes as service_role");
    assert_eq!(first_column(rows), ["2"], "service_role bypasses RLS");

    let error = db
        .as_role(
            "authenticated",
            Some(&claims),
            "select count(*) from auth.users",
        )
        .expect_err("authenticated reading auth.users");
    assert!(
        format!("{error:?}").contains("permission denied"),
        "{error:?}"
    );
}

fn auth_functions_read_the_claims(cluster: &Cluster, database: &str) {
    let db = Db::postgres(cluster, database);
    let functions = "select auth.uid()::text, auth.role(), auth.email(), auth.jwt() ->> 'aal'";

    let claims = format!(
        r#"{{"sub":"{USER_1}","role":"authenticated","email":"one@example.com","aal":"aal1"}}"#
    );
    let rows = db
        .as_role("authenticated", Some(&claims), functions)
        .expect("auth functions");
    assert_eq!(
        rows,
        [[USER_1, "authenticated", "one@example.com", "aal1"].map(|v| Some(v.to_owned()))]
    );

    // No claims: every function returns NULL.
    let rows = db.as_role("anon", None, functions).expect("no claims");
    assert_eq!(rows, [vec![None, None, None, None]]);

    // PostgREST before version 9 set one setting per claim; a claim set that way wins.
    db.execute(&format!(
        "begin; select set_config('request.jwt.claim.sub', '{USER_2}', true); \
         select set_config('request.jwt.claim.role', 'service_role', true); \
         select set_config('request.jwt.claims', '{claims}', true);"
    ));
    let legacy = db.rows("select auth.uid()::text, auth.role(), auth.email()");
    db.execute("rollback");
    assert_eq!(
        legacy,
        [[USER_2, "service_role", "one@example.com"].map(|v| Some(v.to_owned()))]
    );
}

fn storage_policies_use_the_helpers(cluster: &Cluster, database: &str) {
    let db = Db::postgres(cluster, database);
    add_users(&db);
    assert_eq!(
        db.rows(
            "select storage.foldername('a/b/c.png')::text, storage.filename('a/b/c.png'), \
             storage.extension('a/b/c.png'), storage.foldername('c.png')::text, \
             storage.extension('archive.tar.gz')"
        ),
        [["{a,b}", "c.png", "png", "{}", "gz"].map(|v| Some(v.to_owned()))]
    );

    // A typical Supabase storage policy: users write under a folder named after their id.
    db.execute(
        "insert into storage.buckets (id, name, public) values ('avatars', 'avatars', false);
         create policy \"users upload to their folder\" on storage.objects
             for insert to authenticated
             with check (bucket_id = 'avatars'
                 and (storage.foldername(name))[1] = (select auth.uid()::text));
         create policy \"users read their files\" on storage.objects
             for select to authenticated
             using (bucket_id = 'avatars' and owner_id = (select auth.uid()::text));",
    );
    let claims = claims_of(USER_1);
    let own = format!(
        "insert into storage.objects (bucket_id, name, owner_id) \
         values ('avatars', '{USER_1}/face.png', '{USER_1}') returning path_tokens::text"
    );
    let rows = db
        .as_role("authenticated", Some(&claims), &own)
        .expect("upload into one's folder");
    assert_eq!(first_column(rows), [format!("{{{USER_1},face.png}}")]);
    let other = format!(
        "insert into storage.objects (bucket_id, name, owner_id) \
         values ('avatars', '{USER_2}/face.png', '{USER_1}')"
    );
    let error = db
        .as_role("authenticated", Some(&claims), &other)
        .expect_err("upload into another user's folder");
    assert!(
        format!("{error:?}").contains("row-level security"),
        "{error:?}"
    );

    // updated_at follows updates, as Supabase's trigger makes it.
    db.execute(
        "insert into storage.objects (bucket_id, name, updated_at) \
         values ('avatars', 'x/y.txt', '2000-01-01')",
    );
    db.execute("update storage.objects set metadata = '{}' where name = 'x/y.txt'");
    assert_eq!(
        db.value("select updated_at > '2001-01-01' from storage.objects where name = 'x/y.txt'"),
        "t"
    );

    // A down section drops its policies, as postgres may on Supabase; and what was lent for
    // the command is taken back after it.
    db.execute("drop policy \"users read their files\" on storage.objects");
    assert_eq!(
        db.value(
            "select count(*) from pg_policies where tablename = 'objects' \
             and policyname = 'users read their files'"
        ),
        "0"
    );
    assert_eq!(
        db.value("select pg_has_role('postgres', 'supabase_storage_admin', 'member')"),
        "f"
    );
    // Owning storage.objects is still supabase_storage_admin's: postgres cannot alter it.
    let error = db
        .try_rows("alter table storage.objects add column mine text")
        .expect_err("postgres altering storage.objects");
    assert_eq!(failure(&error).0, "42501", "{error:?}");
}

fn new_users_get_a_profile(cluster: &Cluster, database: &str) {
    let db = Db::postgres(cluster, database);
    // The pattern Supabase's documentation gives for public profiles.
    db.execute(
        "create table public.profiles (
             id uuid not null references auth.users (id) on delete cascade primary key,
             email text,
             full_name text
         );
         alter table public.profiles enable row level security;
         create function public.handle_new_user() returns trigger
             language plpgsql security definer set search_path = ''
         as $$
         begin
             insert into public.profiles (id, email, full_name)
             values (new.id, new.email, new.raw_user_meta_data ->> 'full_name');
             return new;
         end;
         $$;
         create trigger on_auth_user_created
             after insert on auth.users
             for each row execute procedure public.handle_new_user();",
    );
    db.execute(&format!(
        "insert into auth.users (id, aud, role, email, raw_user_meta_data, email_confirmed_at) \
         values ('{USER_1}', 'authenticated', 'authenticated', 'ada@example.com', \
         '{{\"full_name\": \"Ada Lovelace\"}}', '2024-01-02 03:04:05+00'); \
         insert into auth.identities (provider_id, user_id, identity_data, provider) \
         values ('{USER_1}', '{USER_1}', '{{\"sub\": \"{USER_1}\", \"email\": \"Ada@Example.com\"}}', 'email');"
    ));
    assert_eq!(
        db.rows("select id::text, email, full_name from public.profiles"),
        [[USER_1, "ada@example.com", "Ada Lovelace"].map(|v| Some(v.to_owned()))]
    );
    // The generated columns compute what Supabase's do.
    assert_eq!(
        db.value("select confirmed_at = email_confirmed_at from auth.users"),
        "t"
    );
    assert_eq!(
        db.value("select email from auth.identities"),
        "ada@example.com"
    );
    // Deleting the user takes the identity and profile along.
    db.execute(&format!("delete from auth.users where id = '{USER_1}'"));
    assert_eq!(
        db.value(
            "select (select count(*) from public.profiles) + (select count(*) from auth.identities)"
        ),
        "0"
    );
    // The down section: postgres drops its trigger on auth.users, which it does not own.
    db.execute("drop trigger on_auth_user_created on auth.users");
    assert_eq!(
        db.value("select count(*) from pg_trigger where tgname = 'on_auth_user_created'"),
        "0"
    );
}

fn postgres_is_refused_what_needs_a_superuser(cluster: &Cluster, database: &str) {
    let db = Db::postgres(cluster, database);
    for statement in [
        "alter system set work_mem = '8MB'",
        "create function public.c_fn() returns int language c as 'libc', 'abs'",
        "copy (select 1) to program 'true'",
        "alter role postgres superuser",
        "create role root superuser",
        "create event trigger e on ddl_command_start execute function pg_catalog.now()",
    ] {
        let error = db.try_rows(statement).expect_err(statement);
        let (sqlstate, message) = failure(&error);
        assert_eq!(sqlstate, "42501", "{statement}: {message}");
    }
    // Supabase's extensions are postgres's to create and drop; for the command only, it is
    // made a superuser.
    db.execute("create extension hstore with schema extensions");
    assert_eq!(
        db.value("select extowner::regrole::text from pg_extension where extname = 'hstore'"),
        "postgres"
    );
    db.execute("drop extension hstore");
    // An extension that is not on Supabase's list and needs a superuser is refused, and
    // nothing of it stays.
    let error = db
        .try_rows("create extension file_fdw")
        .expect_err("file_fdw is not on Supabase's list");
    let (sqlstate, message) = failure(&error);
    assert_eq!(sqlstate, "42501", "{message}");
    assert!(message.contains("file_fdw"), "{message}");
    assert_eq!(
        db.value("select count(*) from pg_extension where extname = 'file_fdw'"),
        "0"
    );
    // One that is there already is fine.
    db.execute("create extension if not exists pgcrypto with schema extensions");
    assert_eq!(
        db.value("select rolsuper from pg_roles where rolname = 'postgres'"),
        "f"
    );
    // Only postgres itself may be lent anything.
    let error = db
        .try_rows("set role anon; select strata_supabase.lend('extension', true)")
        .expect_err("anon lending");
    assert_eq!(failure(&error).0, "42501", "{error:?}");
}

fn webhooks_record_their_calls_and_send_nothing(cluster: &Cluster, database: &str) {
    let db = Db::postgres(cluster, database);
    db.execute(
        "create table public.orders (id bigint primary key, total numeric);
         create trigger orders_webhook after insert on public.orders
             for each row execute function supabase_functions.http_request(
                 'https://example.invalid/hook', 'POST',
                 '{\"Content-Type\":\"application/json\"}', '{}', '1000');
         insert into public.orders values (1, 9.5), (2, 3);",
    );
    assert_eq!(
        db.rows("select hook_name, request_id::text from supabase_functions.hooks order by id"),
        [
            vec![Some("orders_webhook".to_owned()), None],
            vec![Some("orders_webhook".to_owned()), None],
        ]
    );
    db.execute(
        "create trigger orders_bad after update on public.orders
             for each row execute function supabase_functions.http_request('https://x', 'PUT')",
    );
    let error = db
        .try_rows("update public.orders set total = 1")
        .expect_err("an invalid method");
    assert!(
        failure(&error).1.contains("method argument PUT is invalid"),
        "{error:?}"
    );
}

fn vault_keeps_secrets_by_name(cluster: &Cluster, database: &str) {
    let db = Db::postgres(cluster, database);
    let id = db.value("select vault.create_secret('s3cr3t', 'api_key', 'the API key')");
    assert_eq!(id.len(), 36, "{id}");
    db.execute(&format!(
        "select vault.update_secret('{id}', new_secret => 'rotated')"
    ));
    assert_eq!(
        db.rows("select name, decrypted_secret from vault.decrypted_secrets"),
        [[Some("api_key".to_owned()), Some("rotated".to_owned())]]
    );
    // The API roles see no secrets.
    let error = db
        .as_role(
            "authenticated",
            None,
            "select * from vault.decrypted_secrets",
        )
        .expect_err("authenticated reading the vault");
    assert_eq!(failure(&error).0, "42501", "{error:?}");
}

type Scenario = fn(&Cluster, &str);

#[test]
fn the_stand_in_on_one_cluster() {
    let cluster = Cluster::builder()
        .roles(Roles::Supabase)
        .inert_pg_cron()
        .start()
        .expect("start a cluster");
    assert_eq!(cluster.superuser(), "supabase_admin");
    let scenarios: [(&str, Scenario); 8] = [
        ("twice", installing_twice_creates_everything),
        ("rls", row_level_security_follows_the_jwt),
        ("claims", auth_functions_read_the_claims),
        ("storage", storage_policies_use_the_helpers),
        ("profiles", new_users_get_a_profile),
        ("superuser", postgres_is_refused_what_needs_a_superuser),
        ("webhooks", webhooks_record_their_calls_and_send_nothing),
        ("vault", vault_keeps_secrets_by_name),
    ];
    thread::scope(|scope| {
        for (database, scenario) in scenarios {
            let cluster = &cluster;
            thread::Builder::new()
                .name(database.to_owned())
                .spawn_scoped(scope, move || {
                    cluster
                        .create_database(database)
                        .unwrap_or_else(|e| panic!("create database {database}: {e}"));
                    install(cluster, database);
                    scenario(cluster, database);
                })
                .expect("spawn a scenario thread");
        }
    });

    // A failed install says why and leaves nothing behind: it is one transaction.
    cluster
        .create_database("clash")
        .expect("create database clash");
    let db = Db::admin(&cluster, "clash");
    db.execute("create schema auth; create table auth.users (id uuid primary key)");
    let error = db
        .try_rows(supabase::STANDIN_SQL)
        .expect_err("an auth.users with one column");
    let message = error
        .as_db_error()
        .map_or_else(|| error.to_string(), |e| e.message().to_owned());
    assert!(message.contains("does not exist"), "{message}");
    db.execute("rollback");
    assert_eq!(
        db.value("select count(*) from pg_namespace where nspname in ('extensions', 'storage')"),
        "0"
    );

    scheduled_jobs_are_recorded_and_never_run(&cluster);
    cluster.stop().expect("stop the cluster");
}

/// pg_cron, when this machine has it (Debian's `postgresql-<major>-cron`): postgres creates
/// it and schedules a job, which is recorded, while the scheduler never runs.
fn scheduled_jobs_are_recorded_and_never_run(cluster: &Cluster) {
    if !cluster.binaries().has_library("pg_cron") {
        eprintln!("pg_cron is not installed here: its scenario is skipped");
        return;
    }
    // pg_cron lives in the database `cron.database_name` names: `postgres`.
    install(cluster, "postgres");
    let db = Db::postgres(cluster, "postgres");
    db.execute(
        "create extension pg_cron;
         create table public.ticks (at timestamptz);
         select cron.schedule('tick', '* * * * *', 'insert into public.ticks values (now())');",
    );
    assert_eq!(
        db.rows("select jobname, schedule, username from cron.job"),
        [["tick", "* * * * *", "postgres"].map(|v| Some(v.to_owned()))]
    );
    // No scheduler: nothing will ever run the job.
    assert_eq!(
        db.value("select count(*) from pg_stat_activity where backend_type = 'pg_cron launcher'"),
        "0"
    );
    assert_eq!(db.value("select count(*) from cron.job_run_details"), "0");
    db.execute("select cron.unschedule('tick')");
}
