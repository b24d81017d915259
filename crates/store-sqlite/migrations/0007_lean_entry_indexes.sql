-- Fewer, fuller indexes on queue_entries: every join writes each index and every move rewrites
-- those that hold the status.
--
-- The line index now also holds the tenant, the session id and the ticket, so the reads that
-- walk the waiting line (the realtime fan-out after every move: ids, session ids, tickets; a
-- customer's place: a count of the line ahead of them) read the index alone instead of one
-- table row per customer.
--
-- Dropped, unused: (tenant_id) is the prefix of (tenant_id, status, joined_at), which serves the
-- tenant's cascade; nothing looks entries up by customer_id; every read of one queue's entries
-- filters on queue_id first and is served by the line index.
DROP INDEX queue_entries_line;
CREATE INDEX queue_entries_line
    ON queue_entries (queue_id, status, position, id, tenant_id, session_id, ticket_number);
DROP INDEX queue_entries_tenant;
DROP INDEX queue_entries_customer;
DROP INDEX queue_entries_tenant_queue_position;
