-- Who may do what in a room (see src/server/access.rs).
-- A private room is seen only by its members.
ALTER TABLE rooms ADD COLUMN private BOOLEAN NOT NULL DEFAULT false;
-- A row in read_markers is a membership; its role is 'member' or 'owner' (the creator).
ALTER TABLE read_markers ADD COLUMN role TEXT NOT NULL DEFAULT 'member';
-- The first account is the server's admin.
ALTER TABLE users ADD COLUMN admin BOOLEAN NOT NULL DEFAULT false;
-- One admin: two nodes making the first two accounts at once cannot both become it.
CREATE UNIQUE INDEX users_one_admin ON users (admin) WHERE admin;
-- An admin may disable an account: its sessions end and it cannot sign in.
ALTER TABLE users ADD COLUMN disabled BOOLEAN NOT NULL DEFAULT false;
-- A banned person cannot join, read or post in the room, whatever session they use.
CREATE TABLE bans (
    room_id     BIGINT NOT NULL REFERENCES rooms(id),
    user_id     TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    banned_by   TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    PRIMARY KEY (room_id, user_id)
);
-- Invite links (made by the admin, or a room's owner for their room): a new account may be
-- made with one while it has uses left and has not expired; a room's invite also makes the
-- new person a member of the room.
CREATE TABLE invites (
    token_hash  BYTEA PRIMARY KEY,                     -- SHA-256 of the token in the link
    created_by  TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    room_id     BIGINT REFERENCES rooms(id),
    uses_left   BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL,                     -- ms since the Unix epoch
    created_at  BIGINT NOT NULL
);
