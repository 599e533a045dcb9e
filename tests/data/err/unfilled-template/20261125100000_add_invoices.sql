-- Migration: add invoices
-- Author: someone
-- Date: 2026-11-25 10:00:00 UTC
-- Purpose: describe why this change is needed

-- strata:up


-- strata:down

