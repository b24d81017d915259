-- Each queue keeps how many of its customers are waiting and how many are called, so that a
-- join (capacity, place), the queue list and board and the realtime fan-out read two numbers
-- instead of counting the line (a count visits every waiting row's heap tuple, and the dead
-- versions that the moves leave behind until vacuum). A trigger on queue_entries keeps them in
-- the statement that changes an entry, so they can never disagree with the entries (the
-- contract tests, the random-sequence one included, compare them with the entries on every
-- step). Every change of an entry already holds its queue's row lock (`FOR NO KEY UPDATE`),
-- which is the lock the counters' update takes, so no new waits and no new lock order.

-- The migration sees every tenant's rows (the policies of 0002 bind the owner too).
SELECT set_config('app.platform', 'on', true);

ALTER TABLE queues
    ADD COLUMN waiting_count integer NOT NULL DEFAULT 0,
    ADD COLUMN called_count integer NOT NULL DEFAULT 0;

UPDATE queues q SET
    waiting_count = (SELECT COUNT(*) FROM queue_entries e
                     WHERE e.queue_id = q.id AND e.status = 'waiting'),
    called_count = (SELECT COUNT(*) FROM queue_entries e
                    WHERE e.queue_id = q.id AND e.status = 'called');

-- Runs as the caller, under the policies: an entry the caller may change belongs to the
-- tenant its transaction is set to (or to the platform's work), and so does its queue.
CREATE FUNCTION qms_count_entries() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    d_waiting integer := 0;
    d_called integer := 0;
    queue uuid;
BEGIN
    IF TG_OP <> 'INSERT' THEN
        d_waiting := d_waiting - (OLD.status = 'waiting')::integer;
        d_called := d_called - (OLD.status = 'called')::integer;
        queue := OLD.queue_id;
    END IF;
    IF TG_OP <> 'DELETE' THEN
        d_waiting := d_waiting + (NEW.status = 'waiting')::integer;
        d_called := d_called + (NEW.status = 'called')::integer;
        queue := NEW.queue_id;
    END IF;
    IF d_waiting <> 0 OR d_called <> 0 THEN
        UPDATE queues SET
            waiting_count = waiting_count + d_waiting,
            called_count = called_count + d_called
        WHERE id = queue;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER queue_entries_count
    AFTER INSERT OR DELETE OR UPDATE OF status ON queue_entries
    FOR EACH ROW EXECUTE FUNCTION qms_count_entries();

-- The queues with their live numbers (0006), now from the counters.
CREATE OR REPLACE FUNCTION qms_queue_summaries(
    p_tenant uuid, p_only uuid, p_since timestamptz, p_sample bigint)
RETURNS TABLE (
    queue queues, waiting_count bigint, called_count bigint, recent_calls timestamptz[])
LANGUAGE plpgsql VOLATILE SECURITY INVOKER AS $$
#variable_conflict use_column
BEGIN
    PERFORM set_config('app.tenant_id', p_tenant::text, true);
    RETURN QUERY
    SELECT q, q.waiting_count::bigint, q.called_count::bigint,
        ARRAY(SELECT c.called_at FROM queue_entries c
              WHERE c.tenant_id = q.tenant_id AND c.queue_id = q.id AND c.called_at >= p_since
              ORDER BY c.called_at DESC LIMIT p_sample)
    FROM queues q
    WHERE q.tenant_id = p_tenant AND (p_only IS NULL OR q.id = p_only)
    ORDER BY q.created_at, q.id;
END
$$;
