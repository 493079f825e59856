// The database decides who may do what: each refusal here comes from PostgreSQL itself (grants, row-level security
// or a trigger), to a connection logged in over TCP with SCRAM as the role in question, the way a moderator's
// workstation connects. Each refusal has a positive control beside it, so a test cannot pass because the
// connection, the table or the data was wrong.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addTeamUser } from '@main/store/postgres/roles';
import { initTeamDatabase } from '@main/store/postgres/team-setup';
import { postgresSkipReason, usePostgresCluster } from '../helpers/postgres-test';

const INSUFFICIENT_PRIVILEGE = '42501';

async function refused(work: Promise<unknown>, message: RegExp): Promise<void> {
  const error = (await work.then(
    () => null,
    (e: unknown) => e,
  )) as (Error & { code?: string }) | null;
  expect(error, 'PostgreSQL should have refused this').not.toBeNull();
  expect(error!.code).toBe(INSUFFICIENT_PRIVILEGE);
  expect(error!.message).toMatch(message);
}

const DENIED = /permission denied/;
const RLS = /row-level security policy/;

describe.skipIf(postgresSkipReason !== null)(
  `team database roles, refused by PostgreSQL${postgresSkipReason ? ` (skipped: ${postgresSkipReason})` : ''}`,
  () => {
    const cluster = usePostgresCluster();
    let database = '';
    let admin: pg.Client;
    const logins: Record<string, pg.Client> = {};
    let reviewer: pg.Client; // alice
    let otherReviewer: pg.Client; // bob
    let lead: pg.Client; // lena
    let auditor: pg.Client; // otto

    async function login(name: string, password: string): Promise<pg.Client> {
      const client = new pg.Client({ connectionString: cluster().loginUrl(name, password, database) });
      await client.connect();
      logins[name] = client;
      return client;
    }

    beforeAll(async () => {
      database = cluster().createDatabase('roles');
      admin = new pg.Client({ connectionString: cluster().superuserUrl(database) });
      await admin.connect();
      await initTeamDatabase(admin);
      const people = [
        ['alice', 'reviewer'],
        ['bob', 'reviewer'],
        ['lena', 'lead'],
        ['otto', 'auditor'],
      ] as const;
      const passwords: Record<string, string> = {};
      for (const [name, role] of people) {
        const added = await addTeamUser(admin, { login: name, role, create: true });
        passwords[name] = added.oneTimePassword!;
      }
      for (let i = 1; i <= 6; i++) {
        await admin.query(
          `INSERT INTO cases (id, query, thinking, response, source_file, source_record)
           VALUES ($1, 'how do I pick a lock', 'the user asks', 'I cannot help', 'seed.jsonl', $2)`,
          [`c${i}`, i],
        );
      }
      await admin.query(
        `INSERT INTO jobs (case_id, model_id, prompt_sha256, status) VALUES ('c5', 'm', 'p', 'queued'), ('c6', 'm', 'p', 'queued')`,
      );
      reviewer = await login('alice', passwords.alice);
      otherReviewer = await login('bob', passwords.bob);
      lead = await login('lena', passwords.lena);
      auditor = await login('otto', passwords.otto);
    });
    afterAll(async () => {
      await Promise.all(Object.values(logins).map((client) => client.end()));
      await admin?.end();
    });

    const decide = (client: pg.Client, caseId: string, risk: number, category: string | null = null) =>
      client.query<{ id: string; reviewer: string; recorded_by: string }>(
        `INSERT INTO reviews (case_id, kind, risk, category, source) VALUES ($1, 'decision', $2, $3, 'manual')
         RETURNING id, reviewer, recorded_by`,
        [caseId, risk, category],
      );
    const undo = (client: pg.Client, caseId: string, reviewId: string) =>
      client.query(`INSERT INTO reviews (case_id, kind, undoes_review_id, source) VALUES ($1, 'undo', $2, 'manual')`, [
        caseId,
        reviewId,
      ]);

    it('a wrong password is refused by the server (SCRAM over TCP)', async () => {
      const client = new pg.Client({ connectionString: cluster().loginUrl('alice', 'not-the-password', database) });
      await expect(client.connect()).rejects.toMatchObject({
        code: '28P01',
        message: expect.stringContaining('password authentication failed for user "alice"'),
      });
    });

    describe('a reviewer', () => {
      it('records a decision under their login, written by the database', async () => {
        const inserted = await decide(reviewer, 'c1', 1, 'violent_crimes');
        expect(inserted.rows[0]).toMatchObject({ reviewer: 'alice', recorded_by: 'alice' });
        const onCase = await admin.query('SELECT human_risk, reviewed_by FROM cases WHERE id = $1', ['c1']);
        expect(onCase.rows[0]).toEqual({ human_risk: 1, reviewed_by: 'alice' });
      });

      it('cannot record a decision under another name', async () => {
        await refused(
          reviewer.query(
            `INSERT INTO reviews (case_id, kind, risk, reviewer, source) VALUES ('c2', 'decision', 0, 'bob', 'manual')`,
          ),
          /recorded under the database login \(alice\), not "bob"|row-level security/,
        );
        await refused(
          reviewer.query(
            `INSERT INTO reviews (case_id, kind, risk, recorded_by, source) VALUES ('c2', 'decision', 0, 'bob', 'manual')`,
          ),
          /recorded_by is the database login that made the change \(alice\), not "bob"/,
        );
        // Nor pass one off as carried in from a pack or a local workspace, where any name is kept.
        await refused(
          reviewer.query(
            `INSERT INTO reviews (case_id, kind, risk, reviewer, source) VALUES ('c2', 'decision', 0, 'bob', 'imported')`,
          ),
          RLS,
        );
      });

      it('cannot update or delete decisions, verdicts or the activity log', async () => {
        await admin.query(
          `INSERT INTO audits (case_id, profile_id, engine, model_id, prompt_sha256, prompt_hash_ok, status, risk, raw_output,
             image_missing, strict_format, prompt_tokens, cached_prompt_tokens, generated_tokens, prompt_ms, generate_ms, total_ms)
           VALUES ('c3', 'guardtrace-vl', 'test', 'm', 'p', true, 'ok', 0, '{}', false, true, 1, 0, 1, 1, 1, 2)`,
        );
        await reviewer.query(`INSERT INTO audit_log (action, case_id) VALUES ('review.submit', 'c1')`);
        await refused(reviewer.query(`UPDATE reviews SET risk = 0 WHERE case_id = 'c1'`), DENIED);
        await refused(reviewer.query(`DELETE FROM reviews WHERE case_id = 'c1'`), DENIED);
        await refused(reviewer.query(`UPDATE audits SET risk = 1 WHERE case_id = 'c3'`), DENIED);
        await refused(reviewer.query(`DELETE FROM audits WHERE case_id = 'c3'`), DENIED);
        await refused(reviewer.query(`UPDATE audit_log SET action = 'x'`), DENIED);
        await refused(reviewer.query(`DELETE FROM audit_log`), DENIED);
        // Nor set what the queue shows without a decision.
        await refused(reviewer.query(`UPDATE cases SET human_risk = 0 WHERE id = 'c1'`), DENIED);
        await refused(reviewer.query(`DELETE FROM case_decisions`), DENIED);
      });

      it('undoes only their own latest decision', async () => {
        const older = await decide(reviewer, 'c2', 0);
        const latest = await decide(reviewer, 'c4', 0.5, 'privacy');
        const bobs = await decide(otherReviewer, 'c2', 1, 'privacy');
        await refused(undo(reviewer, 'c2', older.rows[0].id), /only their latest decision still in force/);
        await refused(undo(reviewer, 'c2', bobs.rows[0].id), /may undo only their own decisions/);
        await undo(reviewer, 'c4', latest.rows[0].id); // the positive control
        const onCase = await admin.query(`SELECT human_risk FROM cases WHERE id = 'c4'`);
        expect(onCase.rows[0].human_risk).toBeNull();
      });

      it('cannot adjudicate, assign, import or change settings', async () => {
        await refused(
          reviewer.query(
            `INSERT INTO reviews (case_id, kind, risk, source) VALUES ('c2', 'adjudication', 1, 'manual')`,
          ),
          RLS,
        );
        await refused(reviewer.query(`INSERT INTO assignments (case_id, reviewer) VALUES ('c2', 'alice')`), DENIED);
        await refused(
          reviewer.query(
            `INSERT INTO cases (id, query, thinking, response, source_file, source_record) VALUES ('x', 'q', 't', 'r', 'f', 1)`,
          ),
          DENIED,
        );
        await refused(reviewer.query(`INSERT INTO import_batches (source_file, format) VALUES ('f', 'jsonl')`), DENIED);
        await refused(reviewer.query(`INSERT INTO settings (key, value) VALUES ('theme', '"dark"')`), DENIED);
        await refused(reviewer.query(`UPDATE settings SET value = '1'`), DENIED);
        await refused(reviewer.query(`SELECT guardtrace_enqueue_audits('m', 'p', 'b')`), DENIED);
      });

      it('cannot export the whole store: the activity log is closed and only their own decisions are visible', async () => {
        await refused(reviewer.query('SELECT * FROM audit_log'), DENIED);
        const visible = await reviewer.query<{ reviewer: string }>('SELECT DISTINCT reviewer FROM reviews');
        expect(visible.rows.map((r) => r.reviewer)).toEqual(['alice']);
        const all = await lead.query<{ reviewer: string }>('SELECT DISTINCT reviewer FROM reviews ORDER BY reviewer');
        expect(all.rows.map((r) => r.reviewer)).toEqual(['alice', 'bob']);
      });

      it('cannot write model verdicts', async () => {
        await refused(
          reviewer.query(
            `INSERT INTO audits (case_id, profile_id, engine, model_id, prompt_sha256, prompt_hash_ok, status, risk, raw_output,
               image_missing, strict_format, prompt_tokens, cached_prompt_tokens, generated_tokens, prompt_ms, generate_ms, total_ms)
             VALUES ('c1', 'guardtrace-vl', 'test', 'm2', 'p', true, 'ok', 0, '{}', false, true, 1, 0, 1, 1, 1, 2)`,
          ),
          DENIED,
        );
      });
    });

    describe('a lead', () => {
      it('imports, assigns, adjudicates, reads everything and changes settings', async () => {
        const batch = await lead.query<{ id: string; actor: string }>(
          `INSERT INTO import_batches (source_file, format) VALUES ('more.jsonl', 'jsonl') RETURNING id, actor`,
        );
        expect(batch.rows[0].actor).toBe('lena');
        await lead.query(
          `INSERT INTO cases (id, query, thinking, response, source_file, source_record, import_batch)
           VALUES ('c7', 'q', 't', 'r', 'more.jsonl', 1, $1)`,
          [batch.rows[0].id],
        );
        await lead.query(`INSERT INTO assignments (case_id, reviewer) VALUES ('c7', 'bob')`);
        const bobSees = await otherReviewer.query('SELECT case_id FROM assignments');
        expect(bobSees.rows).toEqual([{ case_id: 'c7' }]);
        const aliceSees = await reviewer.query('SELECT case_id FROM assignments');
        expect(aliceSees.rows).toEqual([]);

        // c2: alice said 0, bob said 1/privacy: disputed, nothing in force, until the lead adjudicates.
        const disputed = await admin.query(
          `SELECT d.basis, c.human_risk FROM case_decisions d JOIN cases c ON c.id = d.case_id WHERE d.case_id = 'c2'`,
        );
        expect(disputed.rows[0]).toEqual({ basis: 'disputed', human_risk: null });
        await lead.query(
          `INSERT INTO reviews (case_id, kind, risk, category, source) VALUES ('c2', 'adjudication', 1, 'privacy', 'manual')`,
        );
        const settled = await admin.query(
          `SELECT d.basis, c.human_risk, c.reviewed_by FROM case_decisions d JOIN cases c ON c.id = d.case_id WHERE d.case_id = 'c2'`,
        );
        expect(settled.rows[0]).toEqual({ basis: 'adjudication', human_risk: 1, reviewed_by: 'lena' });

        const log = await lead.query('SELECT count(*)::int AS n FROM audit_log');
        expect(log.rows[0].n).toBeGreaterThan(0);
        await lead.query(`INSERT INTO settings (key, value) VALUES ('overlap', '0.1')`);
        await lead.query(`UPDATE settings SET value = '0.2' WHERE key = 'overlap'`);
      });

      it('cannot update or delete history either', async () => {
        await refused(lead.query(`UPDATE audit_log SET action = 'x'`), DENIED);
        await refused(lead.query(`DELETE FROM audit_log`), DENIED);
        await refused(lead.query(`TRUNCATE audit_log`), DENIED);
        await refused(lead.query(`UPDATE reviews SET risk = 0`), DENIED);
        await refused(lead.query(`DELETE FROM reviews`), DENIED);
        await refused(lead.query(`DELETE FROM audits`), DENIED);
      });

      it("cannot write an activity-log entry in someone else's name", async () => {
        await refused(
          lead.query(`INSERT INTO audit_log (actor, action) VALUES ('alice', 'review.submit')`),
          /actor is the database login that made the change \(lena\), not "alice"/,
        );
      });
    });

    describe('an auditor', () => {
      it('claims a job and writes the verdict for it, and no verdict for a case it does not hold', async () => {
        const claimed = await auditor.query<{ case_id: string }>(
          `UPDATE jobs SET status = 'running', owner_login = session_user, owner_token = 't1',
             lease_expires_at = now() + interval '1 minute', heartbeat_at = now()
           WHERE id = (SELECT id FROM jobs WHERE status = 'queued' ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED)
           RETURNING case_id`,
        );
        expect(claimed.rows).toEqual([{ case_id: 'c5' }]);
        const verdict = (caseId: string) =>
          auditor.query(
            `INSERT INTO audits (case_id, profile_id, engine, model_id, prompt_sha256, prompt_hash_ok, status, risk, raw_output,
               image_missing, strict_format, prompt_tokens, cached_prompt_tokens, generated_tokens, prompt_ms, generate_ms, total_ms,
               level_probs)
             VALUES ($1, 'guardtrace-vl', 'test', 'm', 'p', true, 'ok', 0.5, '{}', false, true, 1, 0, 1, 1, 1, 2, '{"0.5": 0.8}')
             RETURNING recorded_by`,
            [caseId],
          );
        expect((await verdict('c5')).rows[0].recorded_by).toBe('otto');
        const mirrored = await admin.query(
          `SELECT model_risk, model_confidence, model_status FROM cases WHERE id = 'c5'`,
        );
        expect(mirrored.rows[0]).toEqual({ model_risk: 0.5, model_confidence: 0.8, model_status: 'ok' });
        await refused(verdict('c6'), RLS);
      });

      it("cannot lease a job in another login's name", async () => {
        await refused(
          auditor.query(
            `UPDATE jobs SET status = 'running', owner_login = 'lena', lease_expires_at = now() + interval '1 minute'
             WHERE case_id = 'c6'`,
          ),
          /leased by the database login \(otto\), not "lena"/,
        );
      });

      it('does nothing else: no decisions, no reading them, no import, no settings, no activity log', async () => {
        await refused(
          auditor.query(`INSERT INTO reviews (case_id, kind, risk, source) VALUES ('c1', 'decision', 0, 'manual')`),
          DENIED,
        );
        await refused(auditor.query('SELECT * FROM reviews'), DENIED);
        await refused(auditor.query('SELECT * FROM audit_log'), DENIED);
        await refused(
          auditor.query(
            `INSERT INTO cases (id, query, thinking, response, source_file, source_record) VALUES ('y', 'q', 't', 'r', 'f', 1)`,
          ),
          DENIED,
        );
        await refused(auditor.query(`UPDATE settings SET value = '1'`), DENIED);
        await refused(auditor.query(`INSERT INTO assignments (case_id, reviewer) VALUES ('c1', 'otto')`), DENIED);
        await refused(auditor.query(`UPDATE cases SET model_risk = 1 WHERE id = 'c1'`), DENIED);
        await refused(auditor.query(`INSERT INTO review_claims (case_id, expires_at) VALUES ('c1', now())`), DENIED);
      });
    });

    it("nobody, not even the tables' owner, updates or deletes the activity log", async () => {
      await refused(
        admin.query(`UPDATE audit_log SET action = 'x'`),
        /audit_log is append-only: rows cannot be updated/,
      );
      await refused(admin.query(`DELETE FROM audit_log`), /audit_log is append-only: rows cannot be deleted/);
      await refused(admin.query(`TRUNCATE audit_log`), /audit_log is append-only/);
      await refused(admin.query(`DELETE FROM reviews`), /reviews is append-only/);
    });
  },
);
