-- Conversations exist before sign-in does: an anonymous caller's conversation has no owner.
ALTER TABLE conversations ALTER COLUMN owner_user_id DROP NOT NULL;
