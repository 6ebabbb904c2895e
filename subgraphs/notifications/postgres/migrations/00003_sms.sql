-- +goose Up
-- When a preference was last changed: for SMS an opt-in is consent, and
-- when it was given is part of it.
ALTER TABLE preferences ADD COLUMN changed_at timestamptz NOT NULL DEFAULT now();

-- contacts.phone is only ever a number its owner confirmed; this is the
-- one being confirmed, with the hash of the code sent to it.
CREATE TABLE phone_verifications (
    user_id    text PRIMARY KEY,
    phone      text NOT NULL,
    code_hash  text NOT NULL,
    attempts   int NOT NULL DEFAULT 0,
    sent_at    timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL
);
ALTER TABLE contacts ADD COLUMN phone_verified_at timestamptz;

-- +goose Down
ALTER TABLE contacts DROP COLUMN phone_verified_at;
DROP TABLE phone_verifications;
ALTER TABLE preferences DROP COLUMN changed_at;
