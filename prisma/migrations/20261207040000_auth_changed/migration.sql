-- What an API token's lookup reads (the token, its secret, its creator's membership and name) tells
-- the console processes' token caches when it changes: `nvi_auth_changed`, delivered as the change
-- commits (packages/core/src/tokens/token-cache.ts). Per statement: a cache drops everything it
-- holds, so which rows changed does not matter. `last_used_at`, written once a minute per token
-- in use, is left out of the columns that notify.
-- The body's semicolons are written \073 in an escaped string: Prisma's migration runner (js engine)
-- cuts a script at every semicolon, even inside a quoted body.
CREATE FUNCTION nvi_notify_auth_changed() RETURNS trigger LANGUAGE plpgsql
  AS E'BEGIN PERFORM pg_notify(''nvi_auth_changed'', TG_TABLE_NAME)\073 RETURN NULL\073 END';

CREATE TRIGGER api_tokens_auth_changed
  AFTER UPDATE OF org_id, name, scopes, created_by, expires_at, revoked_at OR DELETE OR TRUNCATE ON api_tokens
  FOR EACH STATEMENT EXECUTE FUNCTION nvi_notify_auth_changed();

CREATE TRIGGER api_token_secrets_auth_changed
  AFTER UPDATE OR DELETE OR TRUNCATE ON api_token_secrets
  FOR EACH STATEMENT EXECUTE FUNCTION nvi_notify_auth_changed();

CREATE TRIGGER memberships_auth_changed
  AFTER UPDATE OR DELETE OR TRUNCATE ON memberships
  FOR EACH STATEMENT EXECUTE FUNCTION nvi_notify_auth_changed();

CREATE TRIGGER users_auth_changed
  AFTER UPDATE OF email, name OR DELETE OR TRUNCATE ON users
  FOR EACH STATEMENT EXECUTE FUNCTION nvi_notify_auth_changed();
