-- +goose Up
-- When each marketing consent last changed, in the profile or through
-- notifications (an unsubscribe link, an SMS answered STOP): of two
-- changes the later one wins, whichever subgraph took it first.
ALTER TABLE users ADD COLUMN marketing_emails_at timestamptz, ADD COLUMN marketing_sms_at timestamptz;

-- +goose Down
ALTER TABLE users DROP COLUMN marketing_sms_at, DROP COLUMN marketing_emails_at;
