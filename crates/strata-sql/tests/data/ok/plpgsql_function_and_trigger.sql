CREATE OR REPLACE FUNCTION touch_updated_at() RETURNS trigger
LANGUAGE plpgsql AS $function$
BEGIN
    NEW.updated_at := now();  -- semicolons; everywhere;
    RETURN NEW;
END;
$function$;

CREATE TRIGGER users_touch BEFORE UPDATE ON users
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

DO $$
DECLARE r record;
BEGIN
    FOR r IN SELECT 1 AS x LOOP
        RAISE NOTICE 'row %;', r.x;
    END LOOP;
    COMMIT;
END
$$;

CREATE FUNCTION add(a int, b int) RETURNS int LANGUAGE sql
BEGIN ATOMIC
    SELECT a + b;
END;
