-- Two plan fixes for tables with a history (measured with 200,000 finished entries, as
-- bench/run.sh now writes before its runs; see docs/PERFORMANCE.md).
--
-- 1. qms_place (0006) found the entry by `e.id = COALESCE(p_entry, (SELECT … session_id …))`,
--    and PostgreSQL does not use the primary key for that comparison: every customer status
--    read was a parallel scan of the whole table, 40 ms instead of a fraction of one. The
--    session id is now resolved to the entry id in a statement of its own, and the read
--    compares the primary key with a plain variable. Same answers, same policies (SECURITY
--    INVOKER, the tenant set first).
-- 2. A PL/pgSQL function's statements are cached plans, and PostgreSQL kept re-planning them
--    for every call (the generic plan's estimate looked worse than the custom plans'), which
--    with a large table costs more than running them (it probes the indexes' ends for the time
--    comparisons). Every query here leads with equalities on an index's first columns, so the
--    generic plan is the right one: the read functions now always use it. (Not every
--    statement of the application can: the BackOffice's optional filters, `$1 IS NULL OR
--    tenant_id = $1`, need a plan made for the values given to use their indexes.)
CREATE OR REPLACE FUNCTION qms_place(
    p_tenant uuid, p_entry uuid, p_session text, p_since timestamptz, p_sample bigint)
RETURNS TABLE (
    entry queue_entries, live_position bigint, queue_name text,
    queue_average_service_time integer, recent_calls timestamptz[])
LANGUAGE plpgsql VOLATILE SECURITY INVOKER SET plan_cache_mode = force_generic_plan AS $$
#variable_conflict use_column
DECLARE
    v_entry uuid := p_entry;
BEGIN
    PERFORM set_config('app.tenant_id', p_tenant::text, true);
    IF v_entry IS NULL THEN
        SELECT s.id INTO v_entry FROM queue_entries s
        WHERE s.tenant_id = p_tenant AND s.session_id = p_session;
        IF NOT FOUND THEN
            RETURN;
        END IF;
    END IF;
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
    WHERE e.tenant_id = p_tenant AND e.id = v_entry;
END
$$;

ALTER FUNCTION qms_queue_summaries(uuid, uuid, timestamptz, bigint)
    SET plan_cache_mode = force_generic_plan;
ALTER FUNCTION qms_queue(uuid, uuid) SET plan_cache_mode = force_generic_plan;
ALTER FUNCTION qms_merchants(uuid) SET plan_cache_mode = force_generic_plan;
