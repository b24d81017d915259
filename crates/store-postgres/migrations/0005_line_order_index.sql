-- The waiting line in its exact order: (queue_id, status, position, id) is the ORDER BY of every
-- line read (call-next's head, the board, the fan-out, the places ahead of a customer), so the
-- head comes first from the index instead of after sorting the whole line. It covers what the
-- (queue_id, status, position) index did.
CREATE INDEX queue_entries_line ON queue_entries (queue_id, status, position, id);
DROP INDEX queue_entries_queue_status;
