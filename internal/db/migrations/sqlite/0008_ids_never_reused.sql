-- Every table with an integer id is rebuilt with AUTOINCREMENT, so that an id
-- is never handed out twice (SQLite otherwise reuses the id of the newest row
-- after it is deleted). The rebuild reads each table's current definition, so
-- it runs in Go: see autoincrementEverywhere in internal/db/rebuild.go.
SELECT 1;
