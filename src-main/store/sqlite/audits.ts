import type { AuditRecord, AuditResult } from '@domain/audits';
import { nowIso } from './clock';
import type { Db } from './open-database';
import { toAuditRecord, type AuditRow } from './rows';

/** SQL: id of the latest verdict of the case `caseId` (an SQL expression), the one its model_* columns mirror. */
export function latestAuditIdOf(caseId: string): string {
  return `(SELECT max(id) FROM audits WHERE case_id = ${caseId})`;
}

/** Model verdicts. Writing one also refreshes the case's model_* columns the queue sorts on. */
export class AuditRepository {
  private readonly insertStmt;
  private readonly updateCase;
  private readonly latestStmt;
  private readonly byIdStmt;
  private readonly forModelStmt;

  constructor(db: Db) {
    this.insertStmt = db.prepare(
      `INSERT INTO audits (case_id, profile_id, engine, model_id, prompt_sha256, prompt_hash_ok, status, risk, category,
         analysis, parse_error, raw_output, image_missing, strict_format, prompt_tokens, cached_prompt_tokens,
         generated_tokens, prompt_ms, generate_ms, total_ms, created_at, level_probs, level_probs_note, provenance)
       VALUES (@caseId, @profileId, @engine, @modelId, @promptSha256, @promptHashOk, @status, @risk, @category,
         @analysis, @parseError, @rawOutput, @imageMissing, @strictFormat, @promptTokens, @cachedPromptTokens,
         @generatedTokens, @promptMs, @generateMs, @totalMs, @createdAt, @levelProbs, @levelProbsNote, @provenance)
       ON CONFLICT (case_id, model_id, prompt_sha256) DO NOTHING`,
    );
    this.updateCase = db.prepare(
      'UPDATE cases SET model_status = ?, model_risk = ?, model_category = ?, model_confidence = ? WHERE id = ?',
    );
    this.latestStmt = db.prepare<[string], AuditRow>(`SELECT * FROM audits WHERE id = ${latestAuditIdOf('?')}`);
    this.byIdStmt = db.prepare<[number | bigint], AuditRow>('SELECT * FROM audits WHERE id = ?');
    this.forModelStmt = db.prepare<[string, string, string], AuditRow>(
      'SELECT * FROM audits WHERE case_id = ? AND model_id = ? AND prompt_sha256 = ?',
    );
  }

  /**
   * Stores a verdict unless this case already has one for the same model and prompt (then returns null):
   * the UNIQUE constraint, not the caller's bookkeeping, is what guarantees one verdict per case/model/prompt.
   * Run inside the caller's transaction.
   */
  insert(caseId: string, result: AuditResult): AuditRecord | null {
    const verdict = result.verdict;
    const risk = verdict.status === 'ok' ? verdict.risk : null;
    const info = this.insertStmt.run({
      caseId,
      profileId: result.profileId,
      engine: result.engine,
      modelId: result.modelId,
      promptSha256: result.promptSha256,
      promptHashOk: result.promptHashOk ? 1 : 0,
      status: verdict.status,
      risk,
      category: verdict.category,
      analysis: verdict.analysis,
      parseError: verdict.status === 'ok' ? null : verdict.error,
      rawOutput: result.rawOutput,
      imageMissing: result.imageMissing ? 1 : 0,
      strictFormat: result.strictFormat ? 1 : 0,
      promptTokens: result.promptTokens,
      cachedPromptTokens: result.cachedPromptTokens,
      generatedTokens: result.generatedTokens,
      promptMs: result.timings.promptMs,
      generateMs: result.timings.generateMs,
      totalMs: result.timings.totalMs,
      createdAt: nowIso(),
      levelProbs: result.levelProbs === null ? null : JSON.stringify(result.levelProbs),
      levelProbsNote: result.levelProbsNote,
      provenance: result.provenance === null ? null : JSON.stringify(result.provenance),
    });
    if (info.changes === 0) return null;
    const confidence = risk === null ? null : (result.levelProbs?.[String(risk)] ?? null);
    this.updateCase.run(verdict.status, risk, verdict.category, confidence, caseId);
    return toAuditRecord(this.byIdStmt.get(info.lastInsertRowid)!);
  }

  latest(caseId: string): AuditRecord | null {
    const row = this.latestStmt.get(caseId);
    return row ? toAuditRecord(row) : null;
  }

  forModel(caseId: string, modelId: string, promptSha256: string): AuditRecord | null {
    const row = this.forModelStmt.get(caseId, modelId, promptSha256);
    return row ? toAuditRecord(row) : null;
  }
}
