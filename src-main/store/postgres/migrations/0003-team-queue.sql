-- What a live team needs beyond the workspace schema: audit-job leases shared by several workers, review claims
-- (who has a case open), assignments for double review, and change notifications (LISTEN guardtrace_changes).

-- A running job is leased: the login and worker token that claimed it, and when the lease runs out unless the
-- worker's heartbeat renews it. An expired lease goes back to the queue (PostgresJobQueue.requeueExpired).
ALTER TABLE jobs ADD COLUMN owner_login text;
ALTER TABLE jobs ADD COLUMN owner_token text;
ALTER TABLE jobs ADD COLUMN heartbeat_at timestamptz;
ALTER TABLE jobs ADD COLUMN lease_expires_at timestamptz;
ALTER TABLE jobs ADD CONSTRAINT jobs_running_is_leased
  CHECK ((status = 'running') = (owner_login IS NOT NULL AND lease_expires_at IS NOT NULL));
CREATE INDEX jobs_lease_expiry ON jobs (lease_expires_at) WHERE status = 'running';

CREATE FUNCTION guardtrace_job_owner_is_login() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.owner_login IS NOT NULL AND NEW.owner_login IS DISTINCT FROM OLD.owner_login
     AND NEW.owner_login <> session_user::text THEN
    RAISE EXCEPTION 'guardtrace: a job is leased by the database login (%), not "%"', session_user, NEW.owner_login
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER jobs_owner_login BEFORE UPDATE ON jobs
  FOR EACH ROW EXECUTE FUNCTION guardtrace_job_owner_is_login();

-- An audit worker may mark a case it holds the lease for as failed (the engine errored, the input was too long);
-- a lead may mark any. Nothing else about the case can be changed this way.
CREATE FUNCTION guardtrace_record_audit_failure(p_case_id text, p_failure text, p_reason text) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  IF NOT pg_has_role(session_user, 'guardtrace_lead', 'MEMBER')
     AND NOT EXISTS (SELECT 1 FROM jobs WHERE case_id = p_case_id AND status = 'running'
                       AND owner_login = session_user::text) THEN
    RAISE EXCEPTION 'guardtrace: % holds no running audit job for case %', session_user, p_case_id
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  UPDATE cases SET audit_failure = p_failure, audit_failure_reason = p_reason, audit_failed_at = now()
   WHERE id = p_case_id;
END $$;
REVOKE EXECUTE ON FUNCTION guardtrace_record_audit_failure(text, text, text) FROM PUBLIC;

-- Review claims: opening a case claims it for a few minutes, renewed while it stays open. Others see who has it
-- and their submit-and-next skips it; an expired claim frees the case (anyone may take it over).
CREATE TABLE review_claims (
  case_id    text PRIMARY KEY REFERENCES cases (id),
  claimed_by text NOT NULL DEFAULT session_user,
  claimed_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL
);
CREATE INDEX review_claims_expiry ON review_claims (expires_at);
-- "Next case": the oldest case with no decision in force, walked in seq order.
CREATE INDEX cases_unreviewed ON cases (seq) WHERE human_risk IS NULL;
CREATE TRIGGER review_claims_claimed_by BEFORE INSERT OR UPDATE ON review_claims
  FOR EACH ROW EXECUTE FUNCTION guardtrace_require_session_user('claimed_by');

-- Double review without packs: a lead assigns a case to a (second, blind) reviewer.
CREATE TABLE assignments (
  case_id     text NOT NULL REFERENCES cases (id),
  reviewer    text NOT NULL,
  assigned_by text NOT NULL DEFAULT session_user,
  assigned_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (case_id, reviewer)
);
CREATE INDEX assignments_reviewer ON assignments (reviewer, case_id);
CREATE TRIGGER assignments_assigned_by BEFORE INSERT ON assignments
  FOR EACH ROW EXECUTE FUNCTION guardtrace_require_session_user('assigned_by');

-- Change notifications. Delivered at commit, so a window that hears one reads committed data. Payload:
-- {"kind": "decision" | "verdict" | "claim" | "import", "caseId"?: text, "count"?: n, "by": login}.
CREATE FUNCTION guardtrace_notify_case_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('guardtrace_changes',
    json_build_object('kind', TG_ARGV[0], 'caseId', NEW.case_id, 'by', session_user)::text);
  RETURN NULL;
END $$;
CREATE TRIGGER reviews_notify AFTER INSERT ON reviews
  FOR EACH ROW EXECUTE FUNCTION guardtrace_notify_case_change('decision');
CREATE TRIGGER audits_notify AFTER INSERT ON audits
  FOR EACH ROW EXECUTE FUNCTION guardtrace_notify_case_change('verdict');
CREATE TRIGGER review_claims_notify AFTER INSERT OR UPDATE ON review_claims
  FOR EACH ROW EXECUTE FUNCTION guardtrace_notify_case_change('claim');

-- An import notifies once per statement (a COPY of 100,000 cases is one notification, not 100,000).
CREATE FUNCTION guardtrace_notify_import() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  added bigint;
BEGIN
  SELECT count(*) INTO added FROM new_cases;
  IF added > 0 THEN
    PERFORM pg_notify('guardtrace_changes', json_build_object('kind', 'import', 'count', added, 'by', session_user)::text);
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER cases_notify_import AFTER INSERT ON cases
  REFERENCING NEW TABLE AS new_cases
  FOR EACH STATEMENT EXECUTE FUNCTION guardtrace_notify_import();
