// The one factory: a data folder opens SQLite; a postgres:// URL opens a team database (test/store-postgres/), and
// when it cannot, the message names the server without the password.
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

  it('tells a team database URL from a folder, and says clearly when it cannot open one, never echoing the password', async () => {
    expect(storeLocationOf('postgresql://lead@db.example/guardtrace')).toEqual({
      kind: 'url',
      url: 'postgresql://lead@db.example/guardtrace',
    });
    expect(storeLocationOf('/data/guardtrace')).toEqual({ kind: 'folder', dataDir: '/data/guardtrace' });
    expect(redactStoreUrl('postgres://ann:s3cret@db.example:5432/gt')).toBe('postgres://ann:***@db.example:5432/gt');
    // Port 1 on this machine: nothing listens, so the connection is refused at once.
    const url = 'postgres://ann:s3cret@127.0.0.1:1/gt';
    await expect(openStore(url)).rejects.toMatchObject({
      name: 'StoreError',
      code: 'invalid',
      message: expect.stringContaining('needs a local folder to cache images in'),
    });
    const refused = openStore(url, { cacheDir: tempDir() });
    await expect(refused).rejects.toMatchObject({
      name: 'StoreError',
      message: expect.stringMatching(/127\.0\.0\.1:1/),
    });
    await expect(refused).rejects.not.toThrow(/s3cret/);
  });
});
