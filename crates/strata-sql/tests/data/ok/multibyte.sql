-- Größe des Lagers ☃
CREATE TABLE "tâble" (naïve text DEFAULT 'ünïcødé 🦀');
/* 日本語のコメント */ INSERT INTO "tâble" VALUES ('é;è');
SELECT 'fin';
