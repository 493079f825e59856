-- What the store contract needs beyond the tables, for logins whose reads row-level security narrows:
-- the decision in force on a case (already shown to everyone on cases.human_*, whoever made it), and queueing
-- named cases for audit (an audit worker may add jobs, never change them).

CREATE FUNCTION guardtrace_decision_in_force(p_case_id text) RETURNS SETOF reviews
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT r.* FROM case_decisions d JOIN reviews r ON r.id = d.review_id WHERE d.case_id = p_case_id
$$;
REVOKE EXECUTE ON FUNCTION guardtrace_decision_in_force(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION guardtrace_decision_in_force(text) TO guardtrace_reviewer, guardtrace_auditor;

CREATE FUNCTION guardtrace_enqueue_cases(p_case_ids text[], p_model_id text, p_prompt_sha256 text, p_batch_id text)
RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  queued integer;
BEGIN
  INSERT INTO jobs (case_id, model_id, prompt_sha256, status, batch_id)
  SELECT c.id, p_model_id, p_prompt_sha256, 'queued', p_batch_id
    FROM unnest(p_case_ids) WITH ORDINALITY AS wanted (id, n) JOIN cases c ON c.id = wanted.id
   WHERE NOT EXISTS (SELECT 1 FROM audits a WHERE a.case_id = c.id AND a.model_id = p_model_id
                       AND a.prompt_sha256 = p_prompt_sha256)
   ORDER BY wanted.n
  ON CONFLICT DO NOTHING;
  GET DIAGNOSTICS queued = ROW_COUNT;
  RETURN queued;
END $$;
REVOKE EXECUTE ON FUNCTION guardtrace_enqueue_cases(text[], text, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION guardtrace_enqueue_cases(text[], text, text, text) TO guardtrace_auditor, guardtrace_lead;
