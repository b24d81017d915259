-- Fewer indexes on queue_entries: every join writes each index, and every move (a new row
-- version, since the status is indexed) writes them all again.
--
-- Dropped, unused: (tenant_id) is the prefix of (tenant_id, status, joined_at), which serves the
-- tenant's cascade and the row-level security filter; nothing looks entries up by customer_id;
-- every read of one queue's entries filters on queue_id first and is served by the line index
-- (queue_id, status, position, id).
DROP INDEX queue_entries_tenant;
DROP INDEX queue_entries_customer;
DROP INDEX queue_entries_tenant_queue_position;
