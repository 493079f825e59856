-- Who did something is the database login (session_user), written by the database: a column default, plus a
-- trigger that refuses any other value, so no client can claim to be someone else. History is append-only: the
-- activity log, decisions and verdicts are never updated or deleted, by anyone (the grants of 0003 say the same for
-- the team's roles; these triggers hold even for the tables' owner).

CREATE FUNCTION guardtrace_require_session_user() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  column_name text := TG_ARGV[0];
  given text := to_jsonb(NEW) ->> column_name;
BEGIN
  IF given IS DISTINCT FROM session_user::text THEN
    RAISE EXCEPTION 'guardtrace: %.% is the database login that made the change (%), not "%"',
      TG_TABLE_NAME, column_name, session_user, coalesce(given, 'NULL')
      USING ERRCODE = 'insufficient_privilege',
            HINT = 'Leave it out: the database fills it in.';
  END IF;
  RETURN NEW;
END $$;

CREATE FUNCTION guardtrace_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'guardtrace: % is append-only: rows cannot be %d', TG_TABLE_NAME, lower(TG_OP)
    USING ERRCODE = 'insufficient_privilege';
END $$;

-- The activity log.
ALTER TABLE audit_log ALTER COLUMN actor SET DEFAULT session_user;
CREATE TRIGGER audit_log_actor BEFORE INSERT ON audit_log
  FOR EACH ROW EXECUTE FUNCTION guardtrace_require_session_user('actor');
CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE ON audit_log
  FOR EACH ROW EXECUTE FUNCTION guardtrace_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
  FOR EACH STATEMENT EXECUTE FUNCTION guardtrace_append_only();

-- Decisions: recorded_by is always the login. reviewer is the login too, except for decisions carried in from
-- elsewhere (a pack's decisions file, `team push` of a local workspace), which keep the name they were made under;
-- only a lead may insert those (0003).
ALTER TABLE reviews ADD COLUMN recorded_by text NOT NULL DEFAULT session_user;
ALTER TABLE reviews ALTER COLUMN reviewer SET DEFAULT session_user;
CREATE TRIGGER reviews_recorded_by BEFORE INSERT ON reviews
  FOR EACH ROW EXECUTE FUNCTION guardtrace_require_session_user('recorded_by');
CREATE FUNCTION guardtrace_reviewer_is_login() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.source NOT IN ('pack', 'imported') AND NEW.reviewer IS DISTINCT FROM session_user::text THEN
    RAISE EXCEPTION 'guardtrace: a decision is recorded under the database login (%), not "%"', session_user, NEW.reviewer
      USING ERRCODE = 'insufficient_privilege',
            HINT = 'In team mode the reviewer is whoever is logged in; leave the reviewer name out.';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER reviews_reviewer BEFORE INSERT ON reviews
  FOR EACH ROW EXECUTE FUNCTION guardtrace_reviewer_is_login();
CREATE TRIGGER reviews_no_update BEFORE UPDATE OR DELETE ON reviews
  FOR EACH ROW EXECUTE FUNCTION guardtrace_append_only();
CREATE TRIGGER reviews_no_truncate BEFORE TRUNCATE ON reviews
  FOR EACH STATEMENT EXECUTE FUNCTION guardtrace_append_only();

-- An undo takes back the undoer's own latest decision (or adjudication) still in force, and nothing else.
CREATE FUNCTION guardtrace_undo_is_own_last() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  target reviews;
  latest_id bigint;
BEGIN
  IF NEW.kind <> 'undo' THEN
    RETURN NEW;
  END IF;
  SELECT * INTO target FROM reviews WHERE id = NEW.undoes_review_id;
  IF NOT FOUND OR target.kind NOT IN ('decision', 'adjudication') THEN
    RAISE EXCEPTION 'guardtrace: review % is not a decision that can be undone', NEW.undoes_review_id
      USING ERRCODE = 'check_violation';
  END IF;
  IF target.recorded_by IS DISTINCT FROM session_user::text OR target.case_id <> NEW.case_id THEN
    RAISE EXCEPTION 'guardtrace: % may undo only their own decisions (review % was recorded by %)',
      session_user, target.id, target.recorded_by
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  SELECT max(r.id) INTO latest_id FROM reviews r
   WHERE r.recorded_by = session_user::text AND r.kind IN ('decision', 'adjudication')
     AND NOT EXISTS (SELECT 1 FROM reviews u WHERE u.undoes_review_id = r.id);
  IF latest_id IS DISTINCT FROM target.id THEN
    RAISE EXCEPTION 'guardtrace: % may undo only their latest decision still in force (review %), not review %',
      session_user, coalesce(latest_id::text, 'none'), target.id
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER reviews_undo_own_last BEFORE INSERT ON reviews
  FOR EACH ROW EXECUTE FUNCTION guardtrace_undo_is_own_last();

-- Verdicts.
ALTER TABLE audits ADD COLUMN recorded_by text NOT NULL DEFAULT session_user;
CREATE TRIGGER audits_recorded_by BEFORE INSERT ON audits
  FOR EACH ROW EXECUTE FUNCTION guardtrace_require_session_user('recorded_by');
CREATE TRIGGER audits_no_update BEFORE UPDATE OR DELETE ON audits
  FOR EACH ROW EXECUTE FUNCTION guardtrace_append_only();

-- Imports and decisions files name who brought them in.
ALTER TABLE import_batches ALTER COLUMN actor SET DEFAULT session_user;
CREATE TRIGGER import_batches_actor BEFORE INSERT ON import_batches
  FOR EACH ROW EXECUTE FUNCTION guardtrace_require_session_user('actor');
ALTER TABLE decision_imports ALTER COLUMN actor SET DEFAULT session_user;
CREATE TRIGGER decision_imports_actor BEFORE INSERT ON decision_imports
  FOR EACH ROW EXECUTE FUNCTION guardtrace_require_session_user('actor');

-- The decision in force on a case (the same rules as store/adjudication.ts's DecisionResolver): the latest live
-- adjudication; else each reviewer's latest live decision counts once, and if they all agree (same risk and, for a
-- harmful risk, the same category) the latest of them stands; if they disagree the case is disputed and has none.
-- Run by the database after every insert into reviews, as the tables' owner: a reviewer cannot write
-- case_decisions or cases.human_* directly, so what the queue shows always follows from the decisions.
CREATE FUNCTION guardtrace_resolve_case(p_case_id text) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  in_force reviews;
  new_basis text;
  reviewer_count integer;
  distinct_verdicts integer;
  latest_id bigint;
BEGIN
  SELECT r.* INTO in_force FROM reviews r
   WHERE r.case_id = p_case_id AND r.kind = 'adjudication'
     AND NOT EXISTS (SELECT 1 FROM reviews u WHERE u.undoes_review_id = r.id)
   ORDER BY r.id DESC LIMIT 1;
  IF FOUND THEN
    new_basis := 'adjudication';
  ELSE
    WITH per_reviewer AS (
      SELECT DISTINCT ON (r.reviewer) r.id, r.risk, r.category FROM reviews r
       WHERE r.case_id = p_case_id AND r.kind = 'decision'
         AND NOT EXISTS (SELECT 1 FROM reviews u WHERE u.undoes_review_id = r.id)
       ORDER BY r.reviewer, r.id DESC
    )
    SELECT count(*),
           count(DISTINCT risk::text || '|' || CASE WHEN risk = 0 THEN '' ELSE coalesce(category, chr(1)) END),
           max(id)
      INTO reviewer_count, distinct_verdicts, latest_id
      FROM per_reviewer;
    IF reviewer_count = 0 THEN
      new_basis := NULL;
    ELSIF distinct_verdicts = 1 THEN
      new_basis := CASE WHEN reviewer_count > 1 THEN 'agreeing_reviewers' ELSE 'single_reviewer' END;
      SELECT * INTO in_force FROM reviews WHERE id = latest_id;
    ELSE
      new_basis := 'disputed';
      in_force := NULL;
    END IF;
  END IF;

  IF new_basis IS NULL THEN
    DELETE FROM case_decisions WHERE case_id = p_case_id;
  ELSE
    INSERT INTO case_decisions AS d (case_id, review_id, basis, since)
    VALUES (p_case_id, in_force.id, new_basis, now())
    ON CONFLICT (case_id) DO UPDATE SET review_id = excluded.review_id, basis = excluded.basis,
      since = CASE WHEN d.basis = excluded.basis THEN d.since ELSE excluded.since END;
  END IF;
  UPDATE cases SET human_risk = in_force.risk, human_category = in_force.category, reviewed_by = in_force.reviewer
   WHERE id = p_case_id;
END $$;

CREATE FUNCTION guardtrace_reviews_resolve() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  PERFORM guardtrace_resolve_case(NEW.case_id);
  RETURN NULL;
END $$;
CREATE TRIGGER reviews_resolve AFTER INSERT ON reviews
  FOR EACH ROW EXECUTE FUNCTION guardtrace_reviews_resolve();

-- The latest verdict is mirrored onto the case row (model_*), and a recorded verdict clears an audit failure,
-- as AuditRepository.record does in SQLite. Owner's rights: an audit worker writes verdicts, never cases.
CREATE FUNCTION guardtrace_audits_mirror() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  UPDATE cases SET model_status = NEW.status, model_risk = NEW.risk, model_category = NEW.category,
    model_confidence = CASE WHEN NEW.risk IS NULL THEN NULL ELSE (NEW.level_probs ->> (NEW.risk::text))::double precision END,
    audit_failure = NULL, audit_failure_reason = NULL, audit_failed_at = NULL
   WHERE id = NEW.case_id;
  RETURN NULL;
END $$;
CREATE TRIGGER audits_mirror AFTER INSERT ON audits
  FOR EACH ROW EXECUTE FUNCTION guardtrace_audits_mirror();

-- The owner's-rights functions run only as the triggers above call them.
REVOKE EXECUTE ON FUNCTION guardtrace_resolve_case(text) FROM PUBLIC;
