-- Each queue keeps how many of its customers are waiting and how many are called, so that a
-- join (capacity, place), the queue list and board and the realtime fan-out read two numbers
-- instead of counting the line. Triggers on queue_entries keep them, in the statement that
-- changes an entry, so they can never disagree with the entries (the contract tests, the
-- random-sequence one included, compare them with the entries on every step).
ALTER TABLE queues ADD COLUMN waiting_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE queues ADD COLUMN called_count INTEGER NOT NULL DEFAULT 0;

UPDATE queues SET
    waiting_count = (SELECT COUNT(*) FROM queue_entries e
                     WHERE e.queue_id = queues.id AND e.status = 'waiting'),
    called_count = (SELECT COUNT(*) FROM queue_entries e
                    WHERE e.queue_id = queues.id AND e.status = 'called');

CREATE TRIGGER queue_entries_count_insert AFTER INSERT ON queue_entries
WHEN NEW.status IN ('waiting', 'called')
BEGIN
    UPDATE queues SET
        waiting_count = waiting_count + (NEW.status = 'waiting'),
        called_count = called_count + (NEW.status = 'called')
    WHERE id = NEW.queue_id;
END;

CREATE TRIGGER queue_entries_count_delete AFTER DELETE ON queue_entries
WHEN OLD.status IN ('waiting', 'called')
BEGIN
    UPDATE queues SET
        waiting_count = waiting_count - (OLD.status = 'waiting'),
        called_count = called_count - (OLD.status = 'called')
    WHERE id = OLD.queue_id;
END;

CREATE TRIGGER queue_entries_count_update AFTER UPDATE OF status ON queue_entries
WHEN OLD.status <> NEW.status
    AND (OLD.status IN ('waiting', 'called') OR NEW.status IN ('waiting', 'called'))
BEGIN
    UPDATE queues SET
        waiting_count = waiting_count + (NEW.status = 'waiting') - (OLD.status = 'waiting'),
        called_count = called_count + (NEW.status = 'called') - (OLD.status = 'called')
    WHERE id = NEW.queue_id;
END;
