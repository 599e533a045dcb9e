-- Statements that are not modelled have no effects.
SET lock_timeout = '5s';
SELECT 1;
BEGIN;
COMMIT;
DO $$ begin perform 1; end $$;
NOTIFY channel;
