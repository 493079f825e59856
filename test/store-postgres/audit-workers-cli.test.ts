// `guardtrace audit --store URL` as real child processes: two audit workers (auditor logins) on one team database
// share its queue, each case is generated once and has one verdict; a reviewer's login is refused by PostgreSQL; and
// the commands that do not run on a team database yet say so.
import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_EXPOSURE_LIMITS } from '@domain/exposure';
import { DEFAULT_PROFILE } from '@main/engine/profiles';
import { openStore } from '@main/store/open-store';
import { spawnCli, type CliRun } from '../helpers/cli-process';
import { FAKE_MODEL, startFakeOpenAiServer, type FakeOpenAiServer } from '../helpers/fake-openai-server';
import { postgresSkipReason, useTeamDatabase } from '../helpers/postgres-test';
import { SHARED_DIR, tempDir } from '../helpers/temp-dir';

const PROMPT_FILE_NAME = DEFAULT_PROFILE.prompt.fileName;
const IDS = Array.from({ length: 6 }, (_, i) => `w${i}`);

async function exitOf(run: CliRun): Promise<number | null> {
  return (await run.exited).code;
}

describe.skipIf(postgresSkipReason !== null)(
  `audit workers on a team database${postgresSkipReason ? ` (skipped: ${postgresSkipReason})` : ''}`,
  () => {
    const team = useTeamDatabase(
      [
        ['lea', 'lead'],
        ['gpu1', 'auditor'],
        ['gpu2', 'auditor'],
        ['ann', 'reviewer'],
      ],
      async (admin) => {
        await admin.query(
          `INSERT INTO cases (id, query, thinking, response, source_file, source_record)
           SELECT id, 'question ' || id || ' end', 'thinking', 'no', 'seed', ord
           FROM unnest($1::text[]) WITH ORDINALITY AS t(id, ord)`,
          [IDS],
        );
      },
    );
    let promptDir: string;
    let server: FakeOpenAiServer;
    beforeAll(async () => {
      promptDir = path.join(tempDir('guardtrace-team-audit-'), 'prompt');
      mkdirSync(promptDir);
      copyFileSync(path.join(SHARED_DIR, 'guardtrace', PROMPT_FILE_NAME), path.join(promptDir, PROMPT_FILE_NAME));
      // ~2 s a case, so the second worker starts while the first is still on its first case.
      server = await startFakeOpenAiServer({ pieceDelayMs: 500 });
    });
    afterAll(async () => server?.close());

    const audit = (login: string) =>
      spawnCli(
        [
          'audit',
          '--store',
          team.url(login),
          '--engine',
          'openai',
          '--base-url',
          server.baseUrl,
          '--model',
          FAKE_MODEL,
          '--prompt-dir',
          promptDir,
          '--json',
        ],
        // This machine's own folder: engine files and the cache of team images, never the cases.
        { GUARDTRACE_DATA_DIR: path.join(tempDir('guardtrace-team-audit-'), 'data') },
      );

    it('two workers share the queue: every case generated once, one verdict each, recorded under the worker logins', async () => {
      const first = audit('gpu1');
      const deadline = Date.now() + 120_000;
      while (!server.generations.length && first.child.exitCode === null && Date.now() < deadline)
        await new Promise((resolve) => setTimeout(resolve, 20));
      const second = audit('gpu2');
      const codes = await Promise.all([exitOf(first), exitOf(second)]);
      expect(codes, `${first.output().stderr.slice(-2000)}\n${second.output().stderr.slice(-2000)}`).toEqual([0, 0]);
      const summaries = [first, second].map(
        (run) => JSON.parse(run.output().stdout.trim().split('\n').at(-1)!) as { done: number; failed: number },
      );
      expect(summaries[0].done + summaries[1].done).toBe(IDS.length);
      expect(summaries.map((summary) => summary.failed)).toEqual([0, 0]);
      for (const id of IDS)
        expect(server.generations.filter((text) => text.includes(`question ${id} end`)).length, id).toBe(1);
      const verdicts = await team
        .admin()
        .query<{ case_id: string; n: number }>(`SELECT case_id, count(*)::int AS n FROM audits GROUP BY case_id`);
      expect(verdicts.rows.map((row) => row.n)).toEqual(IDS.map(() => 1));
      const jobs = await team
        .admin()
        .query<{ owner: string; n: number }>(
          `SELECT a.actor AS owner, count(*)::int AS n FROM audit_log a WHERE a.action = 'audit.verdict' GROUP BY a.actor`,
        );
      expect(jobs.rows.reduce((sum, row) => sum + row.n, 0)).toBe(IDS.length);
      expect(jobs.rows.every((row) => row.owner === 'gpu1' || row.owner === 'gpu2')).toBe(true);
      const left = await team
        .admin()
        .query(`SELECT count(*)::int AS n FROM jobs WHERE status IN ('queued', 'running')`);
      expect(left.rows[0].n).toBe(0);
    }, 240_000);

    it("a reviewer's login cannot run an audit worker: PostgreSQL refuses it, and the message says so", async () => {
      const run = audit('ann');
      expect(await exitOf(run)).not.toBe(0);
      expect(run.output().stderr).toMatch(/permission denied for table jobs/);
      expect(run.output().stderr).toMatch(/An audit worker needs a login with the auditor role/);
      const verdicts = await team.admin().query(`SELECT count(*)::int AS n FROM audits`);
      expect(verdicts.rows[0].n).toBe(IDS.length);
    }, 120_000);

    it('openStore on a URL: the team database as a Store, the parts not built yet refusing by name', async () => {
      const store = await openStore(team.url('lea'), { cacheDir: tempDir('guardtrace-team-cache-') });
      try {
        expect(store.engine).toBe('postgres');
        expect(store.describe).not.toContain(team.password('lea'));
        expect((await store.cases.list({ sort: 'newest' })).rows.map((row) => row.id)).toEqual([...IDS].reverse());
        expect(await store.metrics.stats()).toMatchObject({ cases: IDS.length, audited: IDS.length });
        await expect(store.gold.list()).rejects.toMatchObject({
          code: 'unsupported',
          message: expect.stringContaining('Gold cases are not available on a team database yet'),
        });
        await expect(store.backups.backup('/tmp/x')).rejects.toThrow(/pg_dump/);
      } finally {
        await store.close();
      }
      // A database nobody ran "team init" on: one message that says who must do what.
      const empty = team.cluster().createDatabase('empty');
      const bare = team.url('lea').replace(/\/[^/]+$/, `/${empty}`);
      await expect(openStore(bare, { cacheDir: tempDir('guardtrace-team-cache-') })).rejects.toThrow(
        /schema 0, this GuardTrace needs \d+\. Ask your database admin to run "guardtrace team init/,
      );
    });

    it('guardtrace review --store URL records the decision under the login; another --reviewer is refused', async () => {
      const dataDir = path.join(tempDir('guardtrace-team-review-'), 'data');
      const review = (...extra: string[]) =>
        spawnCli(
          [
            'review',
            'w1',
            '--risk',
            '1',
            '--category',
            'Cybersecurity',
            '--store',
            team.url('ann'),
            '--json',
            ...extra,
          ],
          {
            GUARDTRACE_DATA_DIR: dataDir,
          },
        );
      const recorded = review();
      expect(await exitOf(recorded), recorded.output().stderr).toBe(0);
      expect(JSON.parse(recorded.output().stdout)).toMatchObject({ caseId: 'w1', reviewer: 'ann', risk: 1 });
      const impostor = review('--reviewer', 'lea');
      expect(await exitOf(impostor)).toBe(2);
      expect(impostor.output().stderr).toMatch(/recorded under your database login "ann", not "lea"/);
      const decisions = await team
        .admin()
        .query(`SELECT reviewer, risk FROM reviews WHERE case_id = 'w1' AND kind = 'decision'`);
      expect(decisions.rows).toEqual([{ reviewer: 'ann', risk: 1 }]);
      // A harmful judgment counts toward this moderator's exposure, kept in this computer's own folder.
      const local = await openStore(dataDir);
      try {
        expect((await local.exposure.status('ann', DEFAULT_EXPOSURE_LIMITS)).lastHour.harmfulJudged).toBe(1);
      } finally {
        await local.close();
      }
    }, 120_000);

    it("guardtrace export --store URL writes a lead's export; a reviewer's login is refused by PostgreSQL", async () => {
      const out = path.join(tempDir('guardtrace-team-export-'), 'cases.jsonl');
      const env = { GUARDTRACE_DATA_DIR: path.join(tempDir('guardtrace-team-export-'), 'data') };
      const lead = spawnCli(['export', '--format', 'jsonl', '--out', out, '--store', team.url('lea'), '--json'], env);
      expect(await exitOf(lead), lead.output().stderr).toBe(0);
      const lines = readFileSync(out, 'utf8')
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as { id: string });
      expect(lines.map((line) => line.id)).toEqual(IDS);
      const reviewer = spawnCli(
        ['export', '--format', 'jsonl', '--out', `${out}.ann`, '--store', team.url('ann')],
        env,
      );
      expect(await exitOf(reviewer)).not.toBe(0);
      expect(reviewer.output().stderr).toMatch(/permission denied for table audit_log/);
      expect(reviewer.output().stderr).toMatch(/does not allow this for your login/);
    }, 120_000);

    it('commands not built for a team database yet refuse --store and name the ones that work', async () => {
      const run = spawnCli(['gold', 'list', '--store', team.url('lea')]);
      expect(await exitOf(run)).toBe(2);
      expect(run.output().stderr).toMatch(/"guardtrace gold" does not work on a team database/);
      expect(run.output().stderr).toMatch(/"guardtrace audit"/);
      expect(run.output().stderr).toMatch(/"guardtrace review"/);
    }, 60_000);
  },
);
