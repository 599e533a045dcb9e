drop function if exists touch_updated_at();
