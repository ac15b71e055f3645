-- PostgreSQL identity columns never hand out an id twice; SQLite's tables are
-- rebuilt with AUTOINCREMENT in this version.
SELECT 1;
