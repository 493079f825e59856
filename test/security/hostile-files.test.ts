// Item 6 of issue 19: untrusted files cost bounded parsing. Each hostile pack, import file and decisions file is
// refused (or its bad record rejected) with a message that says what and where, nothing of a refused pack is stored,
// and the process that read it stays up with bounded memory (peak RSS of a real CLI child process).
import { execFileSync } from 'node:child_process';
import { randomBytes, createHash } from 'node:crypto';
import { closeSync, openSync, ftruncateSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { importDecisions } from '@main/io/packs/decisions-file';
import { importPack } from '@main/io/packs/import-pack';
import { importFile } from '@main/io/import';
import { runCliMeasured } from '../helpers/bounded-cli';
import { readDb } from '../helpers/cli-process';
import { caseLines, repeated, trustHostileLead, writeHostilePack } from '../helpers/hostile-packs';
import { asStore, openTempStore } from '../helpers/store-fixtures';
import { tempDir } from '../helpers/temp-dir';

/** Peak memory allowed to a CLI process that refuses a hostile file (before: 5.3 GB and SIGABRT on 300 MB of `{}`). */
const MAX_RSS_MIB = 600;
const MiB = 1024 * 1024;

const storedNothing = (store: ReturnType<typeof openTempStore>) => {
  expect(store.db.prepare('SELECT count(*) FROM cases').pluck().get()).toBe(0);
  expect(store.db.prepare('SELECT count(*) FROM packs').pluck().get()).toBe(0);
};

describe('hostile packs, read in this process', () => {
  const dir = tempDir();
  const refuse = async (name: string, build: (file: string) => Promise<void>, message: RegExp) => {
    const file = path.join(dir, `${name}.gtpack`);
    await build(file);
    const store = openTempStore();
    await trustHostileLead(store);
    await expect(importPack(asStore(store), file, 'ann')).rejects.toThrow(message);
    storedNothing(store);
    store.close();
  };

  it('refuses duplicate entry names', () =>
    refuse(
      'duplicate',
      (file) =>
        writeHostilePack(
          file,
          ['a'],
          [
            { name: 'cases.jsonl', data: caseLines(['a']) },
            { name: 'cases.jsonl', data: caseLines(['a']), unlisted: true },
          ],
        ),
      /holds the entry "cases\.jsonl" twice; the pack was refused/,
    ));

  it('refuses a symbolic link entry', () =>
    refuse(
      'symlink',
      (file) =>
        writeHostilePack(
          file,
          ['a'],
          [{ name: 'cases.jsonl', data: Buffer.from('/home/ann/.ssh/id_ed25519'), mode: 0o120777 }],
        ),
      /holds "cases\.jsonl" as a symbolic link; a pack holds files only/,
    ));

  it('refuses a zip bomb by ratio before inflating it', () => {
    const zeros = Buffer.alloc(40 * MiB);
    const sha = createHash('sha256').update(zeros).digest('hex');
    return refuse(
      'bomb',
      (file) =>
        writeHostilePack(
          file,
          ['a'],
          [
            { name: 'cases.jsonl', data: caseLines(['a']) },
            { name: `images/${sha}`, data: zeros },
          ],
        ),
      /inflates \d+x \(0 MiB to 40 MiB\), more than a pack's 100x: a zip bomb/,
    );
  });

  it("refuses an image whose bytes do not hash to its name, even with the manifest's hash updated", () =>
    refuse(
      'image-name',
      (file) =>
        writeHostilePack(
          file,
          ['a'],
          [
            { name: 'cases.jsonl', data: caseLines(['a']) },
            { name: `images/${'0'.repeat(64)}`, data: randomBytes(1000) },
          ],
        ),
      /image entry "images\/0{64}" holds bytes whose sha256 is [0-9a-f]{64}, not its name/,
    ));

  it('refuses a line of cases.jsonl over the per-line cap without holding it', () =>
    refuse(
      'long-line',
      (file) =>
        writeHostilePack(
          file,
          ['a'],
          [{ name: 'cases.jsonl', data: Buffer.from(randomBytes(10 * MiB + 8).toString('hex')) }],
        ),
      /cases\.jsonl line 1 is 20 MiB, more than a line of a pack may be \(16 MiB\); the pack was refused/,
    ));

  it("refuses more lines than the manifest's cases (the record-count cap), stored uncompressed", () =>
    refuse(
      'too-many-lines',
      (file) =>
        writeHostilePack(
          file,
          ['a'],
          [{ name: 'cases.jsonl', data: Buffer.concat([caseLines(['a']), caseLines(['a'])]), compress: false }],
        ),
      /cases\.jsonl holds more lines than the manifest's 1 case\(s\); the pack was refused/,
    ));

  it('refuses an entry before the manifest', async () => {
    const file = path.join(dir, 'late-manifest.gtpack');
    const yazl = (await import('yazl')).default;
    const zip = new yazl.ZipFile();
    zip.addBuffer(caseLines(['a']), 'cases.jsonl');
    zip.addBuffer(Buffer.from('{}'), 'manifest.json');
    zip.end();
    const { createWriteStream } = await import('node:fs');
    const { pipeline } = await import('node:stream/promises');
    await pipeline(zip.outputStream, createWriteStream(file));
    const store = openTempStore();
    await expect(importPack(asStore(store), file, 'ann')).rejects.toThrow(/"cases\.jsonl" comes before manifest\.json/);
    storedNothing(store);
    store.close();
  });

  it('refuses a FIFO given as the pack, without hanging', async () => {
    const fifo = path.join(dir, 'pipe.gtpack');
    execFileSync('mkfifo', [fifo]);
    const store = openTempStore();
    await expect(importPack(asStore(store), fifo, 'ann')).rejects.toThrow(
      /is a named pipe \(FIFO\), not a regular file/,
    );
    store.close();
  });
});

describe('hostile files in a CLI process: refused, bounded memory, nothing stored', () => {
  const dir = tempDir();

  it(`a 420 KB-class pack whose cases.jsonl is 300 MB of {} lines: refused, peak RSS under ${MAX_RSS_MIB} MiB`, async () => {
    const file = path.join(dir, 'braces.gtpack');
    const lines = Buffer.from('{}\n'.repeat(MiB / 3));
    await writeHostilePack(file, ['a'], [{ name: 'cases.jsonl', data: repeated(lines, 300) }]);
    const data = tempDir();
    await trustHostileLead(data);
    const run = await runCliMeasured(['pack', 'import', file, '--data-dir', data]);
    expect(run.signal).toBeNull();
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(
      /braces\.gtpack holds "cases\.jsonl", which inflates \d+x .* a zip bomb; the pack was refused/,
    );
    console.info(`peak RSS ${run.maxRssMib.toFixed(0)} MiB`);
    expect(run.maxRssMib).toBeLessThan(MAX_RSS_MIB);
    expect(readDb(data, (db) => db.prepare('SELECT count(*) FROM cases').pluck().get())).toBe(0);
  }, 300_000);

  it('a pack whose cases.jsonl is one 1 GB line: refused by its size before a byte is inflated', async () => {
    const file = path.join(dir, 'one-line.gtpack');
    await writeHostilePack(file, ['a'], [{ name: 'cases.jsonl', data: repeated(Buffer.alloc(MiB, 0x61), 1024) }]);
    const data = tempDir();
    await trustHostileLead(data);
    const run = await runCliMeasured(['pack', 'import', file, '--data-dir', data]);
    expect(run.signal).toBeNull();
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/holds "cases\.jsonl" of 1024 MiB, more than such an entry may be \(512 MiB\)/);
    console.info(`peak RSS ${run.maxRssMib.toFixed(0)} MiB`);
    expect(run.maxRssMib).toBeLessThan(MAX_RSS_MIB);
    expect(readDb(data, (db) => db.prepare('SELECT count(*) FROM cases').pluck().get())).toBe(0);
  }, 300_000);

  it('a JSONL file holding one 1 GB line: that record is rejected unread, the next is imported', async () => {
    const file = path.join(dir, 'huge.jsonl');
    // A sparse file: 1 GiB of NUL bytes with no newline, then one good record.
    const fd = openSync(file, 'w');
    ftruncateSync(fd, 1024 * MiB);
    closeSync(fd);
    writeFileSync(file, '\n' + JSON.stringify({ id: 'ok', question: 'q', thinking: 't', response: 'r' }) + '\n', {
      flag: 'a',
    });
    const data = tempDir();
    const run = await runCliMeasured(['import', file, '--data-dir', data, '--json']);
    expect(run.signal).toBeNull();
    const summary = JSON.parse(run.stdout) as {
      imported: number;
      rejected: number;
      errors: Array<{ record: number; reason: string }>;
    };
    expect(summary).toMatchObject({ imported: 1, rejected: 1 });
    expect(summary.errors[0]).toMatchObject({ record: 1 });
    expect(summary.errors[0].reason).toMatch(
      /is 1024 MiB, larger than a record may be \(96 MiB\); it was skipped unread/,
    );
    console.info(`peak RSS ${run.maxRssMib.toFixed(0)} MiB`);
    expect(run.maxRssMib).toBeLessThan(MAX_RSS_MIB);
  }, 300_000);
});

describe('hostile import files and decisions files', () => {
  const dir = tempDir();

  it('an import file that is a FIFO is refused, not waited on', async () => {
    const fifo = path.join(dir, 'cases.jsonl');
    execFileSync('mkfifo', [fifo]);
    const store = openTempStore();
    await expect(importFile(asStore(store), { file: fifo, format: 'jsonl' })).rejects.toThrow(/not a (regular )?file/);
    store.close();
  });

  it('an image that is a FIFO fails its record with the reason; the import finishes', async () => {
    const folder = tempDir();
    execFileSync('mkfifo', [path.join(folder, 'pipe.png')]);
    const file = path.join(folder, 'cases.jsonl');
    writeFileSync(
      file,
      JSON.stringify({ id: 'x', question: 'q', thinking: 't', response: 'r', image: 'pipe.png' }) + '\n',
    );
    const store = openTempStore();
    const summary = await importFile(asStore(store), { file, format: 'jsonl' });
    expect(summary.rejected).toBe(1);
    expect(summary.errors[0].reason).toMatch(/pipe\.png is a named pipe \(FIFO\), not an image file; refused unread/);
    store.close();
  });

  it('a guardtrace JSON file is streamed: a bad record is its own error, a cut-short file is refused', async () => {
    const good = { image_name: '', question: 'q', thinking: 't', response: 'r', evaluation_result: '' };
    const file = path.join(dir, 'set.json');
    writeFileSync(file, `[${JSON.stringify(good)}, {"question": tru}, ${JSON.stringify({ ...good, question: 'q2' })}]`);
    const store = openTempStore();
    const summary = await importFile(asStore(store), { file, format: 'guardtrace' });
    expect(summary).toMatchObject({ total: 3, imported: 2, rejected: 1 });
    expect(summary.errors[0]).toMatchObject({ record: 2 });
    const cut = path.join(dir, 'cut.json');
    writeFileSync(cut, `[${JSON.stringify(good)}, {"question": "q`);
    await expect(importFile(asStore(openTempStore()), { file: cut, format: 'guardtrace' })).rejects.toThrow(
      /ends in the middle of the document \(cut short\?\)/,
    );
    const object = path.join(dir, 'object.json');
    writeFileSync(object, JSON.stringify(good));
    await expect(importFile(asStore(openTempStore()), { file: object, format: 'guardtrace' })).rejects.toThrow(
      /is not valid JSON \(it holds a JSON object, not an array\)/,
    );
    store.close();
  });

  it('a decisions file with one decision over the per-record cap is refused whole', async () => {
    const file = path.join(dir, 'decisions.json');
    const note = 'x'.repeat(5 * MiB);
    writeFileSync(
      file,
      JSON.stringify({ format: 'guardtrace-decisions', version: 1, decisions: [{ originId: 1, note }], checksum: '0' }),
    );
    const store = openTempStore();
    await expect(importDecisions(asStore(store), file, 'lea')).rejects.toThrow(
      /decisions\.json: decision 1 is 5 MiB, more than one may be \(4 MiB\); the file was refused/,
    );
    expect(store.db.prepare('SELECT count(*) FROM reviews').pluck().get()).toBe(0);
    store.close();
  });

  it('a decisions file that is a FIFO is refused', async () => {
    const fifo = path.join(dir, 'decisions-pipe.json');
    execFileSync('mkfifo', [fifo]);
    const store = openTempStore();
    await expect(importDecisions(asStore(store), fifo, 'lea')).rejects.toThrow(
      /named pipe \(FIFO\), not a regular file/,
    );
    store.close();
  });
});
