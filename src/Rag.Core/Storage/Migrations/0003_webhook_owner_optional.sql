-- Webhooks may be registered before authentication knows who is calling; the owner is filled in when it does.
ALTER TABLE webhooks ALTER COLUMN owner_user_id DROP NOT NULL;
