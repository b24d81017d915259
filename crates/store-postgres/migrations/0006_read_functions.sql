-- The hottest reads in one statement each, the tenant setting included: a customer's place
-- (qms_place), the queues with their live numbers (qms_queue_summaries), and the queue and the
-- merchants a join reads first (qms_queue, qms_merchants).
--
-- qms_place(tenant, entry id or
-- NULL, session id or NULL, start of the pace window, calls sampled) sets app.tenant_id for the
-- current transaction and answers the entry (as a queue_entries row) with its live place (1 +
-- the waiting entries ahead, 0 when not waiting), its queue's name and configured pace and, for
-- a waiting entry, the queue's recent call times.
--
-- Why functions: a read in a transaction of its own is four statements (BEGIN with the
-- setting, the query, COMMIT), and for the customer status read those cost PostgreSQL more
-- than the query itself. Called outside a transaction, the function's statement is its own
-- transaction, so the setting ends with it; inside one (a write reading back its entry) it sets
-- the tenant the transaction already has. SECURITY INVOKER (the default): the query runs as the
-- caller, qms_app, under the row-level security policies, which read the setting when the
-- query runs, after set_config. A session id is resolved to its entry's id first, so both keys
-- end in the primary-key lookup.
CREATE FUNCTION qms_place(
    p_tenant uuid, p_entry uuid, p_session text, p_since timestamptz, p_sample bigint)
RETURNS TABLE (
    entry queue_entries, live_position bigint, queue_name text,
    queue_average_service_time integer, recent_calls timestamptz[])
LANGUAGE plpgsql VOLATILE SECURITY INVOKER AS $$
#variable_conflict use_column
BEGIN
    PERFORM set_config('app.tenant_id', p_tenant::text, true);
    RETURN QUERY
    SELECT e,
        CASE WHEN e.status = 'waiting' THEN 1 + (
            SELECT COUNT(*) FROM queue_entries w
            WHERE w.tenant_id = e.tenant_id AND w.queue_id = e.queue_id AND w.status = 'waiting'
              AND (w.position < e.position OR (w.position = e.position AND w.id < e.id))
        ) ELSE 0 END,
        q.name, q.average_service_time,
        CASE WHEN e.status = 'waiting' THEN ARRAY(
            SELECT c.called_at FROM queue_entries c
            WHERE c.tenant_id = e.tenant_id AND c.queue_id = e.queue_id AND c.called_at >= p_since
            ORDER BY c.called_at DESC LIMIT p_sample
        ) END
    FROM queue_entries e
    JOIN queues q ON q.id = e.queue_id AND q.tenant_id = e.tenant_id
    WHERE e.tenant_id = p_tenant
      AND e.id = COALESCE(p_entry, (
          SELECT s.id FROM queue_entries s WHERE s.tenant_id = p_tenant AND s.session_id = p_session));
END
$$;

GRANT EXECUTE ON FUNCTION qms_place(uuid, uuid, text, timestamptz, bigint) TO qms_app;

-- qms_queue_summaries(tenant, one queue or NULL for all, start of the pace window, calls
-- sampled): the tenant's queues (oldest first) with their waiting and called counts and recent
-- call times; sets app.tenant_id as qms_place does.
CREATE FUNCTION qms_queue_summaries(
    p_tenant uuid, p_only uuid, p_since timestamptz, p_sample bigint)
RETURNS TABLE (
    queue queues, waiting_count bigint, called_count bigint, recent_calls timestamptz[])
LANGUAGE plpgsql VOLATILE SECURITY INVOKER AS $$
#variable_conflict use_column
BEGIN
    PERFORM set_config('app.tenant_id', p_tenant::text, true);
    RETURN QUERY
    SELECT q,
        (SELECT COUNT(*) FROM queue_entries w
         WHERE w.tenant_id = q.tenant_id AND w.queue_id = q.id AND w.status = 'waiting'),
        (SELECT COUNT(*) FROM queue_entries w
         WHERE w.tenant_id = q.tenant_id AND w.queue_id = q.id AND w.status = 'called'),
        ARRAY(SELECT c.called_at FROM queue_entries c
              WHERE c.tenant_id = q.tenant_id AND c.queue_id = q.id AND c.called_at >= p_since
              ORDER BY c.called_at DESC LIMIT p_sample)
    FROM queues q
    WHERE q.tenant_id = p_tenant AND (p_only IS NULL OR q.id = p_only)
    ORDER BY q.created_at, q.id;
END
$$;

GRANT EXECUTE ON FUNCTION qms_queue_summaries(uuid, uuid, timestamptz, bigint) TO qms_app;

-- qms_queue(tenant, queue) and qms_merchants(tenant): the queue row, and the tenant's merchants
-- (oldest first), with the tenant set as above.
CREATE FUNCTION qms_queue(p_tenant uuid, p_queue uuid)
RETURNS SETOF queues
LANGUAGE plpgsql VOLATILE SECURITY INVOKER AS $$
BEGIN
    PERFORM set_config('app.tenant_id', p_tenant::text, true);
    RETURN QUERY SELECT * FROM queues q WHERE q.tenant_id = p_tenant AND q.id = p_queue;
END
$$;

CREATE FUNCTION qms_merchants(p_tenant uuid)
RETURNS SETOF merchants
LANGUAGE plpgsql VOLATILE SECURITY INVOKER AS $$
BEGIN
    PERFORM set_config('app.tenant_id', p_tenant::text, true);
    RETURN QUERY SELECT * FROM merchants m WHERE m.tenant_id = p_tenant ORDER BY m.created_at, m.id;
END
$$;

GRANT EXECUTE ON FUNCTION qms_queue(uuid, uuid) TO qms_app;
GRANT EXECUTE ON FUNCTION qms_merchants(uuid) TO qms_app;
