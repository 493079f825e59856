-- Who may do what is decided here, by grants and row-level security, never by the app (docs/team.md has the table).
-- The three group roles exist before this runs: `guardtrace team init` creates them (they belong to the cluster,
-- not to one database). Tables stay owned by the admin who ran team init; owners bypass row-level security, which
-- is why the owner's-rights functions of 0002/0003 can keep the derived columns in step.
--
--   guardtrace_reviewer  reads the queue; inserts their own decisions and undoes only their own latest one;
--                        claims the cases they open. No update or delete of decisions, verdicts or the activity
--                        log; no adjudication, assignment, import, settings, or reading other people's decisions
--                        or the activity log (so no export of the whole store).
--   guardtrace_lead      everything a reviewer may, plus import, assign, adjudicate, queue audits, settings, and
--                        read everything (export). Never updates or deletes history.
--   guardtrace_auditor   a machine that runs the model: claims audit jobs, writes verdicts for the jobs it holds,
--                        and nothing else.

REVOKE ALL ON ALL TABLES IN SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO guardtrace_reviewer, guardtrace_lead, guardtrace_auditor;
GRANT guardtrace_reviewer TO guardtrace_lead;

-- Reading the queue.
GRANT SELECT ON cases, images, image_data, audits, case_decisions, store_meta, settings, review_claims, jobs, packs, pack_cases,
  reference_verdicts, import_batches, guardtrace_schema_migrations
  TO guardtrace_reviewer;
GRANT SELECT ON reviews, assignments, audit_log, decision_imports TO guardtrace_lead;
GRANT SELECT ON reviews, assignments TO guardtrace_reviewer;
GRANT SELECT ON cases, images, image_data, jobs, audits, store_meta, settings, guardtrace_schema_migrations TO guardtrace_auditor;

-- Writing. Column lists keep every role off the columns the database derives (model_*, human_*, search_*).
GRANT INSERT ON reviews, review_claims, audit_log TO guardtrace_reviewer;
GRANT UPDATE (claimed_at, expires_at, claimed_by) ON review_claims TO guardtrace_reviewer;
GRANT DELETE ON review_claims TO guardtrace_reviewer;

GRANT INSERT ON cases, images, image_data, import_batches, reference_verdicts, packs, pack_cases, decision_imports, assignments,
  jobs, settings
  TO guardtrace_lead;
GRANT UPDATE (gold, meta, image_sha256, image_ref, image_missing) ON cases TO guardtrace_lead;
GRANT UPDATE (finished_at, imported, duplicates, rejected) ON import_batches TO guardtrace_lead;
GRANT UPDATE (value) ON settings TO guardtrace_lead;
GRANT UPDATE (status, updated_at, last_error) ON jobs TO guardtrace_lead;
GRANT DELETE ON assignments TO guardtrace_lead;

GRANT INSERT ON audits, audit_log TO guardtrace_auditor;
GRANT UPDATE (status, attempts, last_error, owner_login, owner_token, heartbeat_at, lease_expires_at, updated_at)
  ON jobs TO guardtrace_auditor;
GRANT EXECUTE ON FUNCTION guardtrace_record_audit_failure(text, text, text) TO guardtrace_auditor, guardtrace_lead;

-- Nobody on the team rewrites history (the append-only triggers of 0002 hold for the owner too).
REVOKE UPDATE, DELETE, TRUNCATE ON reviews, audits, audit_log FROM guardtrace_reviewer, guardtrace_lead, guardtrace_auditor;

-- Row-level security.
ALTER TABLE reviews ENABLE ROW LEVEL SECURITY;
-- A reviewer sees and writes only their own decisions (blind review; no export of others' decisions).
CREATE POLICY reviews_own_read ON reviews FOR SELECT TO guardtrace_reviewer
  USING (recorded_by = session_user::text OR reviewer = session_user::text);
CREATE POLICY reviews_own_write ON reviews FOR INSERT TO guardtrace_reviewer
  WITH CHECK (kind IN ('decision', 'undo') AND reviewer = session_user::text
              AND source IN ('manual', 'accept_model', 'bulk_accept', 'cli'));
CREATE POLICY reviews_lead_read ON reviews FOR SELECT TO guardtrace_lead USING (true);
-- Adjudications and decisions carried in from packs or a local workspace.
CREATE POLICY reviews_lead_write ON reviews FOR INSERT TO guardtrace_lead WITH CHECK (true);

ALTER TABLE audit_log ENABLE ROW LEVEL SECURITY;
CREATE POLICY audit_log_append ON audit_log FOR INSERT TO guardtrace_reviewer, guardtrace_auditor
  WITH CHECK (actor = session_user::text);
CREATE POLICY audit_log_lead_read ON audit_log FOR SELECT TO guardtrace_lead USING (true);

ALTER TABLE review_claims ENABLE ROW LEVEL SECURITY;
CREATE POLICY review_claims_read ON review_claims FOR SELECT TO guardtrace_reviewer USING (true);
CREATE POLICY review_claims_take ON review_claims FOR INSERT TO guardtrace_reviewer
  WITH CHECK (claimed_by = session_user::text);
-- Renew your own claim, or take over one that has expired.
CREATE POLICY review_claims_renew ON review_claims FOR UPDATE TO guardtrace_reviewer
  USING (claimed_by = session_user::text OR expires_at < now())
  WITH CHECK (claimed_by = session_user::text);
CREATE POLICY review_claims_release ON review_claims FOR DELETE TO guardtrace_reviewer
  USING (claimed_by = session_user::text OR pg_has_role(session_user, 'guardtrace_lead', 'MEMBER'));

ALTER TABLE assignments ENABLE ROW LEVEL SECURITY;
CREATE POLICY assignments_own_read ON assignments FOR SELECT TO guardtrace_reviewer
  USING (reviewer = session_user::text);
CREATE POLICY assignments_lead ON assignments FOR ALL TO guardtrace_lead USING (true) WITH CHECK (true);

ALTER TABLE jobs ENABLE ROW LEVEL SECURITY;
CREATE POLICY jobs_read ON jobs FOR SELECT TO guardtrace_reviewer, guardtrace_auditor USING (true);
CREATE POLICY jobs_lead ON jobs FOR ALL TO guardtrace_lead USING (true) WITH CHECK (true);
-- A worker takes a queued job, or one whose lease expired, and changes only the jobs it holds.
CREATE POLICY jobs_worker ON jobs FOR UPDATE TO guardtrace_auditor
  USING (status = 'queued' OR owner_login = session_user::text OR (status = 'running' AND lease_expires_at < now()))
  WITH CHECK (status IN ('queued', 'running', 'done', 'failed')
              AND (owner_login IS NULL OR owner_login = session_user::text));

ALTER TABLE audits ENABLE ROW LEVEL SECURITY;
CREATE POLICY audits_read ON audits FOR SELECT TO guardtrace_reviewer, guardtrace_auditor USING (true);
-- A verdict only for a case whose job this worker holds: a worker cannot write verdicts for cases it never ran.
CREATE POLICY audits_worker_write ON audits FOR INSERT TO guardtrace_auditor
  WITH CHECK (EXISTS (SELECT 1 FROM jobs j WHERE j.case_id = audits.case_id AND j.status = 'running'
                        AND j.owner_login = session_user::text));

-- Queue the cases that have no verdict and no live job for this model and prompt (as JobRepository.enqueue does in
-- SQLite). A worker may call it so that `guardtrace audit --store URL` can start on new cases without a lead, but
-- it can add jobs only, never change what is in them.
CREATE FUNCTION guardtrace_enqueue_audits(p_model_id text, p_prompt_sha256 text, p_batch_id text) RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  queued integer;
BEGIN
  INSERT INTO jobs (case_id, model_id, prompt_sha256, status, batch_id)
  SELECT c.id, p_model_id, p_prompt_sha256, 'queued', p_batch_id FROM cases c
   WHERE NOT EXISTS (SELECT 1 FROM audits a WHERE a.case_id = c.id AND a.model_id = p_model_id
                       AND a.prompt_sha256 = p_prompt_sha256)
  ORDER BY c.seq
  ON CONFLICT DO NOTHING;
  GET DIAGNOSTICS queued = ROW_COUNT;
  RETURN queued;
END $$;
REVOKE EXECUTE ON FUNCTION guardtrace_enqueue_audits(text, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION guardtrace_enqueue_audits(text, text, text) TO guardtrace_auditor, guardtrace_lead;
