-- +goose Up
-- CAPTURED: no provider is configured for the channel, so the message was
-- kept in the development outbox and never left the machine.
ALTER TABLE messages DROP CONSTRAINT messages_status_check;
ALTER TABLE messages ADD CONSTRAINT messages_status_check
    CHECK (status IN ('QUEUED', 'SENT', 'DELIVERED', 'OPENED', 'FAILED', 'BOUNCED', 'SUPPRESSED', 'CAPTURED'));
CREATE INDEX messages_captured ON messages (created_at DESC) WHERE status = 'CAPTURED';

-- +goose Down
DROP INDEX messages_captured;
DELETE FROM message_events WHERE message_id IN (SELECT id FROM messages WHERE status = 'CAPTURED');
DELETE FROM messages WHERE status = 'CAPTURED';
ALTER TABLE messages DROP CONSTRAINT messages_status_check;
ALTER TABLE messages ADD CONSTRAINT messages_status_check
    CHECK (status IN ('QUEUED', 'SENT', 'DELIVERED', 'OPENED', 'FAILED', 'BOUNCED', 'SUPPRESSED'));
