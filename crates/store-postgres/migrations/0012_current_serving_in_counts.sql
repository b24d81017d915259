-- A call also sets its queue's current_serving (the ticket number now being served) in the
-- counters' trigger of 0008, which already updates the queue row on every call, instead of in
-- an UPDATE of its own: one statement less for every call, and the number can never disagree
-- with the call that set it. Any move into 'called' (call-next, a call by id, a bulk call, a
-- call after a requeue) sets it to that entry's ticket sequence number.
CREATE OR REPLACE FUNCTION qms_count_entries() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    d_waiting integer := 0;
    d_called integer := 0;
    serving integer := NULL;
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
        IF NEW.status = 'called' AND (TG_OP = 'INSERT' OR OLD.status <> 'called') THEN
            serving := NEW.ticket_seq;
        END IF;
    END IF;
    IF d_waiting <> 0 OR d_called <> 0 OR serving IS NOT NULL THEN
        UPDATE queues SET
            waiting_count = waiting_count + d_waiting,
            called_count = called_count + d_called,
            current_serving = COALESCE(serving, current_serving)
        WHERE id = queue;
    END IF;
    RETURN NULL;
END
$$;
