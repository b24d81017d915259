-- The line indexes lead with the tenant, as every read of a queue's entries filters on it
-- (tenant_id = $1 AND queue_id = $2, under row-level security too).
--
-- With (queue_id, status, position, id), a line read's tenant condition was a filter, so the
-- planner saw that index and (tenant_id, status, joined_at) as equally selective, two equal
-- columns each. On a table whose statistics lag behind its growth (a new database, a busy
-- first day: autovacuum has not analysed it yet) it took the second one and sorted: call-next's
-- head read walked every waiting entry of the tenant (23,000 buffer reads, 11-14 ms, for a
-- 470-customer line in a 50-queue tenant) instead of reading the first entry of the line. With
-- the tenant in front, the line index matches three equal columns and the line order, and wins
-- whatever the statistics say. The recent calls' index gets the tenant too, so that it still
-- beats the line index for "this queue's calls since" (two equal columns and the range).
-- Deleting a queue still finds its entries through (queue_id, ticket_day, ticket_seq).
CREATE INDEX queue_entries_tenant_line ON queue_entries (tenant_id, queue_id, status, position, id);
DROP INDEX queue_entries_line;
CREATE INDEX queue_entries_tenant_called ON queue_entries (tenant_id, queue_id, called_at);
DROP INDEX queue_entries_queue_called;
