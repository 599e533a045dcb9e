-- strata:up
/* nothing to run */

-- strata:down
