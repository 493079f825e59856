// Model verdicts on the team database (the contract's VerdictStore).
import type { AuditRecord } from '@domain/audits';
import type pg from 'pg';
import type { VerdictStore } from '../contract';
import { toAuditRecord, type PgAuditRow } from './rows';

type Queryable = pg.Pool | pg.PoolClient;

export async function latestVerdict(db: Queryable, caseId: string): Promise<AuditRecord | null> {
  const result = await db.query<PgAuditRow>('SELECT * FROM audits WHERE case_id = $1 ORDER BY id DESC LIMIT 1', [
    caseId,
  ]);
  return result.rows[0] ? toAuditRecord(result.rows[0]) : null;
}

export async function verdictForModel(
  db: Queryable,
  caseId: string,
  modelId: string,
  promptSha256: string,
): Promise<AuditRecord | null> {
  const result = await db.query<PgAuditRow>(
    'SELECT * FROM audits WHERE case_id = $1 AND model_id = $2 AND prompt_sha256 = $3',
    [caseId, modelId, promptSha256],
  );
  return result.rows[0] ? toAuditRecord(result.rows[0]) : null;
}

export class PostgresVerdictStore implements VerdictStore {
  constructor(private readonly pool: pg.Pool) {}
  latest(caseId: string): Promise<AuditRecord | null> {
    return latestVerdict(this.pool, caseId);
  }
  forModel(caseId: string, modelId: string, promptSha256: string): Promise<AuditRecord | null> {
    return verdictForModel(this.pool, caseId, modelId, promptSha256);
  }
}
