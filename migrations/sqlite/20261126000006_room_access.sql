-- Who may do what in a room (see src/server/access.rs).
-- A private room is seen only by its members.
ALTER TABLE rooms ADD COLUMN private INTEGER NOT NULL DEFAULT 0;
-- A row in read_markers is a membership; its role is 'member' or 'owner' (the creator).
ALTER TABLE read_markers ADD COLUMN role TEXT NOT NULL DEFAULT 'member';
-- The first account is the server's admin.
ALTER TABLE users ADD COLUMN admin INTEGER NOT NULL DEFAULT 0;
CREATE UNIQUE INDEX users_one_admin ON users (admin) WHERE admin = 1;
-- An admin may disable an account: its sessions end and it cannot sign in.
ALTER TABLE users ADD COLUMN disabled INTEGER NOT NULL DEFAULT 0;
-- A banned person cannot join, read or post in the room, whatever session they use.
CREATE TABLE bans (
    room_id     INTEGER NOT NULL REFERENCES rooms(id),
    user_id     TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    banned_by   TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (room_id, user_id)
) WITHOUT ROWID;
-- Invite links (made by the admin, or a room's owner for their room): a new account may be
-- made with one while it has uses left and has not expired; a room's invite also makes the
-- new person a member of the room.
CREATE TABLE invites (
    token_hash  BLOB PRIMARY KEY,                     -- SHA-256 of the token in the link
    created_by  TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    room_id     INTEGER REFERENCES rooms(id),
    uses_left   INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,                     -- ms since the Unix epoch
    created_at  INTEGER NOT NULL
);
