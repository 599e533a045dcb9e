CREATE DATABASE analytics WITH TEMPLATE template0 ENCODING 'UTF8';
ALTER DATABASE analytics SET TABLESPACE fast_disk;
ALTER DATABASE analytics SET search_path = app, public;
DROP DATABASE IF EXISTS scratch;
CREATE TABLESPACE fast_disk LOCATION '/mnt/fast';
ALTER TABLESPACE fast_disk RENAME TO quick_disk;
DROP TABLESPACE quick_disk;
ALTER SYSTEM SET max_connections = 200;
