CREATE INDEX todos_open ON todos (created_at) WHERE NOT done;
