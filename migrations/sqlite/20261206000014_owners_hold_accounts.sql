-- Owner powers belong to accounts (issue 24): a guest who opened a room is a member of it
-- (the admin moderates it), and the home room is the admin's, not its first joiner's.
UPDATE read_markers SET role = 'member'
 WHERE role = 'owner' AND user_id IN (SELECT id FROM users WHERE name_key IS NULL);
UPDATE read_markers SET role = 'member'
 WHERE role = 'owner' AND room_id IN (SELECT id FROM rooms WHERE name = 'general')
   AND user_id NOT IN (SELECT id FROM users WHERE admin = 1);
UPDATE read_markers SET role = 'owner'
 WHERE room_id IN (SELECT id FROM rooms WHERE name = 'general')
   AND user_id IN (SELECT id FROM users WHERE admin = 1);
