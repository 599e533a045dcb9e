-- strata:up
-- Users and their sessions.
CREATE TABLE users (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email text NOT NULL UNIQUE,
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX users_created_at_idx ON users (created_at);

ALTER TABLE users ADD COLUMN display_name text;

INSERT INTO users (email, display_name) VALUES ('admin@example.com', 'Admin; the first');

-- strata:down
DROP TABLE users;
