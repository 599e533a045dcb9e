-- Migration: nothing yet
-- strata:up

-- strata:down

