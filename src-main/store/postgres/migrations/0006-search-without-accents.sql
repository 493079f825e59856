-- The search box finds "café" when a moderator types "cafe", as the SQLite workspace does (its FTS5 index removes
-- diacritics): search_simple is rebuilt over unaccented text and queries are unaccented the same way.
-- unaccent ships with PostgreSQL (contrib) and is a trusted extension: the database owner running `team init` may
-- create it. unaccent() itself is only STABLE (its dictionary could change), so a generated column needs this
-- IMMUTABLE wrapper that names the dictionary; rebuild search_simple if the dictionary is ever edited.
CREATE EXTENSION IF NOT EXISTS unaccent SCHEMA public;

CREATE FUNCTION guardtrace_unaccent(p_text text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT SET search_path = public, pg_temp AS $$
  SELECT public.unaccent('public.unaccent'::regdictionary, p_text)
$$;
REVOKE EXECUTE ON FUNCTION guardtrace_unaccent(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION guardtrace_unaccent(text) TO guardtrace_reviewer, guardtrace_lead, guardtrace_auditor;

-- PostgreSQL 15 cannot change a generated column's expression in place: drop it (and its index) and add it again.
ALTER TABLE cases DROP COLUMN search_simple;
ALTER TABLE cases ADD COLUMN search_simple tsvector
  GENERATED ALWAYS AS (to_tsvector('simple', guardtrace_unaccent(query || ' ' || thinking || ' ' || response))) STORED;
CREATE INDEX cases_search_simple ON cases USING gin (search_simple);
