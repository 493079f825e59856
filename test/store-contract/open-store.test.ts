// The one factory: a data folder opens SQLite; a postgres:// URL is a team database, refused for now with a message
// that names it without its password.
import { describe, expect, it } from 'vitest';
import { openStore, redactStoreUrl, storeLocationOf } from '@main/store/open-store';
import { tempDir } from '../helpers/temp-dir';

describe('openStore', () => {
  it('opens a data folder with the SQLite engine', async () => {
    const dataDir = tempDir();
    const store = await openStore(dataDir);
    expect(store).toMatchObject({ engine: 'sqlite', describe: dataDir });
    expect((await store.metrics.stats()).cases).toBe(0);
    await store.close();
  });

  it('tells a team database URL from a folder, and refuses it clearly without echoing the password', async () => {
    expect(storeLocationOf('postgresql://lead@db.example/guardtrace')).toEqual({
      kind: 'url',
      url: 'postgresql://lead@db.example/guardtrace',
    });
    expect(storeLocationOf('/data/guardtrace')).toEqual({ kind: 'folder', dataDir: '/data/guardtrace' });
    expect(redactStoreUrl('postgres://ann:s3cret@db.example:5432/gt')).toBe('postgres://ann:***@db.example:5432/gt');
    const refused = openStore('postgres://ann:s3cret@db.example:5432/gt');
    await expect(refused).rejects.toMatchObject({
      name: 'StoreError',
      code: 'unsupported',
      message: expect.stringContaining('team databases are not built into this version'),
    });
    await expect(refused).rejects.not.toThrow(/s3cret/);
  });
});
