// Bulk import on the team database (the contract's BulkImporter): each batch is one transaction on the import's own
// connection. The cases are streamed with COPY … FROM STDIN into a session-local staging table, then moved into
// cases with one INSERT … SELECT … ON CONFLICT DO NOTHING (COPY cannot skip duplicates). Only row locks are taken
// (ROW EXCLUSIVE on cases, which reads and other inserts do not wait for), so reviewers keep working during a
// 100,000-case import, and each batch is visible, searchable and announced (NOTIFY) when it commits.
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { BulkImporter, BulkImportSession, ImportBatch, ImportBatchResult } from '../contract';
import { StoreError } from '../errors';

const STAGED_COLUMNS = [
  'n',
  'id',
  'query',
  'thinking',
  'response',
  'image_sha256',
  'image_ref',
  'image_missing',
  'gold',
  'source_file',
  'source_record',
  'meta',
] as const;

/** One CSV field as COPY reads it: NULL unquoted and empty, everything else quoted. */
function csvField(value: string | number | boolean | null): string {
  if (value === null) return '';
  return `"${String(value).replace(/"/g, '""')}"`;
}

class PostgresBulkImport implements BulkImportSession {
  private importBatchId: string | null = null;
  private staged = false;
  private broken = false;
  private released = false;

  constructor(private readonly client: pg.PoolClient) {}

  async writeBatch(batch: ImportBatch): Promise<ImportBatchResult> {
    const { client } = this;
    const result: ImportBatchResult = {
      imported: 0,
      duplicates: 0,
      imagesMissing: 0,
      reference: { verdicts: 0, alreadyPresent: 0, parseFailures: 0, matchedExisting: 0 },
    };
    // Refused before the transaction starts, so nothing of the batch is written.
    if (batch.items.some((item) => item.existingCase))
      throw new StoreError(
        'unsupported',
        'Attaching reference results to cases already in the store (matched by content) is not available on a team ' +
          'database yet. Import the reference results into a data folder (--data-dir DIR) instead.',
      );
    await client.query('BEGIN');
    try {
      if (!this.staged) {
        await client.query(
          `CREATE TEMP TABLE IF NOT EXISTS import_staging (
             n integer, id text, query text, thinking text, response text, image_sha256 text, image_ref text,
             image_missing boolean, gold double precision, source_file text, source_record integer, meta jsonb
           ) ON COMMIT DELETE ROWS`,
        );
        this.staged = true;
      }
      if (this.importBatchId === null) {
        const created = await client.query<{ id: string }>(
          'INSERT INTO import_batches (source_file, format) VALUES ($1, $2) RETURNING id',
          [batch.file, batch.format],
        );
        this.importBatchId = created.rows[0].id;
      }
      for (const item of batch.items) {
        if (item.image)
          await client.query(
            `INSERT INTO images (sha256, mime, width, height, bytes) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (sha256) DO NOTHING`,
            [item.image.sha256, item.image.mime, item.image.width, item.image.height, item.image.bytes],
          );
      }
      const lines = batch.items.map(({ newCase }, n) =>
        [
          n,
          newCase.id,
          newCase.query,
          newCase.thinking,
          newCase.response,
          newCase.imageSha256,
          newCase.imageRef,
          newCase.imageMissing,
          newCase.gold,
          newCase.sourceFile,
          newCase.sourceRecord,
          JSON.stringify(newCase.meta ?? {}),
        ]
          .map(csvField)
          .join(','),
      );
      await pipeline(
        Readable.from(lines.map((line) => `${line}\n`)),
        client.query(copyFrom(`COPY import_staging (${STAGED_COLUMNS.join(', ')}) FROM STDIN WITH (FORMAT csv)`)),
      );
      const inserted = await client.query<{ image_missing: boolean }>(
        `INSERT INTO cases (id, query, thinking, response, image_sha256, image_ref, image_missing, gold, source_file,
                            source_record, import_batch, meta)
         SELECT id, query, thinking, response, image_sha256, image_ref, image_missing, gold, source_file, source_record,
                $1, meta
           FROM import_staging ORDER BY n
         ON CONFLICT (id) DO NOTHING
         RETURNING image_missing`,
        [this.importBatchId],
      );
      result.imported = inserted.rowCount ?? 0;
      result.duplicates = batch.items.length - result.imported;
      result.imagesMissing = inserted.rows.filter((row) => row.image_missing).length;

      for (const item of batch.items) {
        const reference = item.referenceVerdict;
        if (!reference) continue;
        const verdict = reference.verdict;
        const stored = await client.query(
          `INSERT INTO reference_verdicts (case_id, status, risk, category, analysis, parse_error, raw_output,
             output_sha256, provenance, import_batch)
           VALUES ($1, $2, $3, $4, $5, $6, $7, encode(sha256(convert_to($7, 'UTF8')), 'hex'), $8, $9)
           ON CONFLICT (case_id, output_sha256) DO NOTHING`,
          [
            reference.caseId,
            verdict.status === 'ok' ? 'ok' : 'parse_failure',
            verdict.status === 'ok' ? verdict.risk : null,
            verdict.category,
            verdict.analysis,
            verdict.status === 'ok' ? null : verdict.error,
            reference.rawOutput,
            JSON.stringify(reference.provenance),
            this.importBatchId,
          ],
        );
        if (!stored.rowCount) result.reference.alreadyPresent++;
        else {
          result.reference.verdicts++;
          if (verdict.status !== 'ok') result.reference.parseFailures++;
        }
      }

      await client.query(`INSERT INTO audit_log (action, after) VALUES ('import', $1)`, [
        JSON.stringify({
          file: batch.file,
          format: batch.format,
          importBatch: Number(this.importBatchId),
          records: batch.records,
          imported: result.imported,
          duplicates: result.duplicates,
          rejected: batch.rejected,
          // The name the caller gave, for the record; who imported is the login (the entry's actor).
          ...(batch.actor ? { actorName: batch.actor } : {}),
        }),
      ]);
      // Running totals, so an interrupted import's row still says what it committed.
      await client.query(
        'UPDATE import_batches SET imported = $2, duplicates = $3, rejected = $4, finished_at = now() WHERE id = $1',
        [
          this.importBatchId,
          batch.totalsBefore.imported + result.imported,
          batch.totalsBefore.duplicates + result.duplicates,
          batch.totalsBefore.rejected + batch.rejected,
        ],
      );
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {
        this.broken = true;
      });
      throw error;
    }
  }

  /** Gives the connection back (discarded if a failure left it unusable). Safe to call more than once. */
  async finish(): Promise<void> {
    if (this.released) return;
    this.released = true;
    this.client.release(this.broken || undefined);
  }
}

export class PostgresBulkImporter implements BulkImporter {
  constructor(private readonly pool: pg.Pool) {}

  /** The run holds one pooled connection (its staging table is per session) until `finish`. */
  async begin(): Promise<BulkImportSession> {
    return new PostgresBulkImport(await this.pool.connect());
  }

  /** PostgreSQL has no single write lock for a decision to wait behind: nothing to signal. */
  writerSignal(): null {
    return null;
  }
}
