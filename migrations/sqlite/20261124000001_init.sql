-- Users are created by POST /api/session; a session token maps to one user.
CREATE TABLE users (
    id          TEXT PRIMARY KEY NOT NULL,          -- UUID
    name        TEXT NOT NULL,
    created_at  INTEGER NOT NULL                    -- ms since the Unix epoch
);

CREATE TABLE sessions (
    token_hash  BLOB PRIMARY KEY NOT NULL,          -- SHA-256 of the bearer token
    user_id     TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at  INTEGER NOT NULL
);

CREATE TABLE rooms (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    last_seq    INTEGER NOT NULL DEFAULT 0,         -- highest seq stored in this room
    created_at  INTEGER NOT NULL
);

CREATE TABLE messages (
    room_id     INTEGER NOT NULL REFERENCES rooms(id),
    seq         INTEGER NOT NULL,                   -- per room, gapless, from 1
    id          TEXT NOT NULL UNIQUE,               -- UUID
    client_id   TEXT NOT NULL,                      -- UUID chosen by the sender
    author_id   TEXT NOT NULL REFERENCES users(id),
    author_name TEXT NOT NULL,                      -- name at the time of sending
    text        TEXT NOT NULL,
    ts          INTEGER NOT NULL,                   -- ms since the Unix epoch
    PRIMARY KEY (room_id, seq),
    UNIQUE (room_id, author_id, client_id)          -- idempotent sends
) WITHOUT ROWID;
