-- The realtime fan-out's read (store-postgres/src/fanout.rs) in one statement instead of four
-- round trips (BEGIN with the tenant, the queue, the line, COMMIT): the fan-out worker reads
-- once per change, one read at a time, so its round trips bound how many changes an instance
-- can tell its sockets about per second, and each costs the database as much as the query.
--
-- qms_fanout_line(tenant, queue, start of the pace window, calls sampled, with the line?) sets
-- app.tenant_id for the current transaction, as the read functions of 0006 do, and answers rows
-- tagged by k: 0 the queue (its counters included), then, when asked, 1 each waiting customer
-- in line order, then 2 each recent call time. Nothing when the tenant has no such queue.
CREATE FUNCTION qms_fanout_line(
    p_tenant uuid, p_queue uuid, p_since timestamptz, p_sample bigint, p_line boolean)
RETURNS TABLE (
    k integer, queue queues, entry_id uuid, entry_session text, entry_ticket text,
    called_at timestamptz)
LANGUAGE plpgsql VOLATILE SECURITY INVOKER SET plan_cache_mode = force_generic_plan AS $$
#variable_conflict use_column
BEGIN
    PERFORM set_config('app.tenant_id', p_tenant::text, true);
    RETURN QUERY
    SELECT 0, q, NULL::uuid, NULL::text, NULL::text, NULL::timestamptz
    FROM queues q WHERE q.tenant_id = p_tenant AND q.id = p_queue;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    IF p_line THEN
        RETURN QUERY
        SELECT 1, NULL::queues, e.id, e.session_id, e.ticket_number, NULL::timestamptz
        FROM queue_entries e
        WHERE e.tenant_id = p_tenant AND e.queue_id = p_queue AND e.status = 'waiting'
        ORDER BY e.position, e.id;
    END IF;
    RETURN QUERY
    SELECT 2, NULL::queues, NULL::uuid, NULL::text, NULL::text, c.called_at
    FROM queue_entries c
    WHERE c.tenant_id = p_tenant AND c.queue_id = p_queue AND c.called_at >= p_since
    ORDER BY c.called_at DESC LIMIT p_sample;
END
$$;

GRANT EXECUTE ON FUNCTION qms_fanout_line(uuid, uuid, timestamptz, bigint, boolean) TO qms_app;
