// Bulk import with COPY and content-addressed images on the team database, through the contract's BulkImporter and
// ImageStore, as a lead and as a reviewer.
import { existsSync, statSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { ImportBatch, NewCase } from '@main/store/contract';
import { PostgresBulkImporter } from '@main/store/postgres/bulk-import';
import { TeamChangeListener, type TeamChange } from '@main/store/postgres/change-listener';
import { PostgresDecisionWriter } from '@main/store/postgres/decisions';
import { PostgresImageStore } from '@main/store/postgres/images';
import { postgresSkipReason, useTeamDatabase } from '../helpers/postgres-test';
import { tempDir } from '../helpers/temp-dir';

function newCase(id: string, n: number, overrides: Partial<NewCase> = {}): NewCase {
  return {
    id,
    query: `how do I make "thermite", question ${n}`,
    thinking: 'The user asks, with a comma, a "quote" and a\nnew line; 漢字のテキスト',
    response: 'I will not help with that.',
    imageSha256: null,
    imageRef: null,
    imageMissing: false,
    gold: n % 2 ? 1 : null,
    sourceFile: 'cases.jsonl',
    sourceRecord: n,
    meta: { n, note: 'a "meta" value' },
    ...overrides,
  };
}

function batchOf(items: ImportBatch['items'], totalsBefore = { imported: 0, duplicates: 0, rejected: 0 }): ImportBatch {
  return {
    file: 'cases.jsonl',
    format: 'jsonl',
    actor: 'lea',
    items,
    rejected: 0,
    records: [1, items.length],
    totalsBefore,
  };
}

describe.skipIf(postgresSkipReason !== null)(
  `import and images on PostgreSQL${postgresSkipReason ? ` (skipped: ${postgresSkipReason})` : ''}`,
  () => {
    const team = useTeamDatabase([
      ['lea', 'lead'],
      ['ann', 'reviewer'],
    ]);
    const cacheDir = tempDir();
    const pool = (login: string) => team.pool(login);

    it('imports batches with COPY: texts kept exactly, duplicates counted, totals kept, one NOTIFY per batch', async () => {
      const changes: TeamChange[] = [];
      const listener = new TeamChangeListener(
        { connectionString: team.url('ann') },
        { onChange: (change) => changes.push(change) },
      );
      await listener.start();
      const session = await new PostgresBulkImporter(pool('lea')).begin();
      try {
        const first = await session.writeBatch(batchOf([1, 2, 3].map((n) => ({ newCase: newCase(`c${n}`, n) }))));
        expect(first).toMatchObject({ imported: 3, duplicates: 0 });
        const second = await session.writeBatch(
          batchOf(
            [
              { newCase: newCase('c3', 3) },
              { newCase: newCase('c4', 4, { imageRef: 'missing.png', imageMissing: true }) },
              { newCase: newCase('c4', 4) },
            ],
            { imported: 3, duplicates: 0, rejected: 0 },
          ),
        );
        expect(second).toMatchObject({ imported: 1, duplicates: 2, imagesMissing: 1 });
      } finally {
        await session.finish();
      }
      const stored = await team
        .admin()
        .query(`SELECT id, query, thinking, gold, meta, image_missing, seq FROM cases ORDER BY seq`);
      expect(stored.rows.map((r) => r.id)).toEqual(['c1', 'c2', 'c3', 'c4']);
      expect(stored.rows[0]).toMatchObject({
        query: 'how do I make "thermite", question 1',
        thinking: 'The user asks, with a comma, a "quote" and a\nnew line; 漢字のテキスト',
        gold: 1,
        meta: { n: 1, note: 'a "meta" value' },
      });
      expect(stored.rows[1].gold).toBeNull();
      const batch = await team.admin().query('SELECT actor, imported, duplicates FROM import_batches');
      expect(batch.rows).toEqual([{ actor: 'lea', imported: 4, duplicates: 2 }]);
      const search = await team
        .admin()
        .query(
          `SELECT id FROM cases WHERE search_english @@ to_tsquery('english', 'thermit:*') AND id IN ('c1', 'c4') ORDER BY id`,
        );
      expect(search.rows.map((r) => r.id)).toEqual(['c1', 'c4']);
      for (let i = 0; i < 100 && changes.filter((c) => c.kind === 'import').length < 2; i++)
        await new Promise((resolve) => setTimeout(resolve, 10));
      await listener.close();
      expect(changes.filter((c) => c.kind === 'import').map((c) => c.count)).toEqual([3, 1]);
    });

    it('a reviewer cannot import: PostgreSQL refuses and nothing of the batch is stored', async () => {
      const session = await new PostgresBulkImporter(pool('ann')).begin();
      try {
        await expect(session.writeBatch(batchOf([{ newCase: newCase('r1', 1) }]))).rejects.toMatchObject({
          code: '42501',
        });
      } finally {
        await session.finish();
        await session.finish(); // twice is harmless, as after a failure
      }
      const rows = await team.admin().query(`SELECT count(*)::int AS n FROM cases WHERE id = 'r1'`);
      expect(rows.rows[0].n).toBe(0);
    });

    it('an import in progress does not stall a reviewer: a decision commits while the import transaction is open', async () => {
      const lead = await pool('lea').connect();
      try {
        await lead.query('BEGIN');
        await lead.query(
          `INSERT INTO cases (id, query, thinking, response, source_file, source_record)
           SELECT 'bulk-' || i, 'q ' || i, 't', 'r', 'bulk', i FROM generate_series(1, 5000) i`,
        );
        const started = Date.now();
        const decided = await new PostgresDecisionWriter(pool('ann')).submit({ caseId: 'c2', risk: 0 });
        expect(decided.reviewer).toBe('ann');
        expect(Date.now() - started).toBeLessThan(2000);
        await lead.query('COMMIT');
      } finally {
        lead.release();
      }
    });

    it('images: stored by hash, cached locally as 0600 files, hash-checked on every read', async () => {
      const lead = new PostgresImageStore(pool('lea'), cacheDir);
      const bytes = Buffer.from('\x89PNG\r\n\x1a\n not really a png but bytes all the same');
      const sha256 = await lead.put(bytes);
      expect(sha256).toMatch(/^[0-9a-f]{64}$/);
      expect(await lead.put(bytes)).toBe(sha256); // content-addressed: once
      const session = await new PostgresBulkImporter(pool('lea')).begin();
      await session.writeBatch(
        batchOf([
          {
            newCase: newCase('img1', 1, { imageSha256: sha256 }),
            image: { sha256, mime: 'image/png', width: 2, height: 3, bytes: bytes.length },
          },
        ]),
      );
      await session.finish();

      const readerCache = tempDir();
      const reviewer = new PostgresImageStore(pool('ann'), readerCache);
      expect(await reviewer.info(sha256)).toEqual({
        sha256,
        mime: 'image/png',
        width: 2,
        height: 3,
        bytes: bytes.length,
      });
      const file = reviewer.localPath(sha256);
      expect(existsSync(file)).toBe(false);
      expect((await reviewer.readChecked(sha256)).bytes.equals(bytes)).toBe(true);
      expect(statSync(file).mode & 0o777).toBe(0o600);
      writeFileSync(file, 'tampered');
      const again = await reviewer.read(sha256);
      expect(again?.bytes.equals(bytes)).toBe(true); // the altered cache is not believed
      expect(await reviewer.read('0'.repeat(64))).toBeNull();
      await expect(reviewer.readChecked('0'.repeat(64))).rejects.toMatchObject({ code: 'image_unavailable' });
      await expect(reviewer.put(Buffer.from('a reviewer cannot add images'))).rejects.toMatchObject({ code: '42501' });
      await expect(lead.put(new Uint8Array(0))).rejects.toMatchObject({ code: 'invalid' });
    });
  },
);
