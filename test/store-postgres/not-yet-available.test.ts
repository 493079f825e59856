// What the team database does not do yet refuses with a StoreError that names the feature, before touching the
// database (no cluster needed): matching reference results to stored cases by their content.
import type pg from 'pg';
import { describe, expect, it } from 'vitest';
import { PostgresBulkImporter } from '@main/store/postgres/bulk-import';
import { PostgresCaseDetails } from '@main/store/postgres/case-details';
import { newCase } from '../helpers/store-fixtures';

/** A pool whose connection records every query it is sent. */
function recordingPool(queries: string[]): pg.Pool {
  const client = { query: async (text: string) => (queries.push(text), { rows: [], rowCount: 0 }), release: () => {} };
  return { connect: async () => client, query: client.query } as unknown as pg.Pool;
}

describe('PostgreSQL: reference results by content are not available yet', () => {
  it('refuses forEachContent, naming the feature', async () => {
    const queries: string[] = [];
    await expect(new PostgresCaseDetails(recordingPool(queries)).forEachContent()).rejects.toMatchObject({
      name: 'StoreError',
      code: 'unsupported',
      message: expect.stringMatching(/Finding cases by their content .* not available on a team database yet/),
    });
    expect(queries).toEqual([]);
  });

  it('refuses a batch with an existing-case item before its transaction starts', async () => {
    const queries: string[] = [];
    const session = await new PostgresBulkImporter(recordingPool(queries)).begin();
    await expect(
      session.writeBatch({
        file: 'results.json',
        format: 'guardtrace-results',
        actor: 'lea',
        items: [{ newCase: newCase('kept'), existingCase: true }],
        rejected: 0,
        records: [1, 1],
        totalsBefore: { imported: 0, duplicates: 0, rejected: 0 },
      }),
    ).rejects.toMatchObject({
      code: 'unsupported',
      message: expect.stringMatching(/reference results to cases already in the store .* not available on a team/),
    });
    await session.finish();
    expect(queries).toEqual([]);
  });
});
