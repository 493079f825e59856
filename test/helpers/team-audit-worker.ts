// An audit worker process for the team-database kill tests: it works the shared queue through PostgresJobQueue as a
// `guardtrace audit --store URL` worker would (claim under a lease, heartbeat, "generate", complete), with a fake
// engine that only waits. It prints one line per event so the test can kill it mid-case:
//   claimed <case>   done <case>   lost <case>   idle
// Usage: node --import tsx test/helpers/team-audit-worker.ts URL LEASE_MS GENERATE_MS
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { PostgresJobQueue } from '@main/store/postgres/job-queue';
import { closePool } from '@main/store/postgres/pool';
import { fakeAuditResult } from './fake-audit-result';

const [url, leaseMs, generateMs] = [process.argv[2], Number(process.argv[3]), Number(process.argv[4])];
const pool = new pg.Pool({ connectionString: url, max: 2 });
const queue = new PostgresJobQueue(pool, { pid: process.pid, token: randomUUID() }, leaseMs);
const stopHeartbeat = queue.startHeartbeat();
const say = (line: string) => process.stdout.write(`${line}\n`);

for (;;) {
  await queue.requeueOrphaned();
  const job = await queue.claimNext('m', 'p');
  if (!job) {
    say('idle');
    break;
  }
  say(`claimed ${job.caseId}`);
  await new Promise((resolve) => setTimeout(resolve, generateMs));
  const result = fakeAuditResult({
    rawOutput: `verdict by ${process.pid}`,
    timings: { promptMs: 1, generateMs, totalMs: generateMs },
  });
  try {
    const done = await queue.complete(job, result);
    say(`${done.stored ? 'done' : 'duplicate'} ${job.caseId}`);
  } catch {
    say(`lost ${job.caseId}`);
  }
}
stopHeartbeat();
await closePool(pool);
