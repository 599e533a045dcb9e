-- Größe ☃ 🦀
INSERT INTO "tâble" VALUES ('ünïcødé');
ALTER TABLE "tâble" ADD COLUMN größe int DEFAULT 'x' 'y';
