import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ImportProgress, ImportSummary } from '@domain/io';
import { importFile, IoError } from '@main/io/import';
import { inspectImage, sniffImageType } from '@main/io/import/image-intake';
import type { CaseStore } from '@main/store/sqlite';
import { asStore, openTempStore } from '../helpers/store-fixtures';
import { SHARED_DIR, tempDir } from '../helpers/temp-dir';
import { pngHeaderClaiming, realPngBomb, smallImage, SVG } from './image-fixtures';

const SAMPLE = path.join(SHARED_DIR, 'samples/guardtrace-sample/cases.json');

function caseRows(store: CaseStore) {
  return store.db
    .prepare<
      [],
      {
        id: string;
        query: string;
        image_sha256: string | null;
        image_ref: string | null;
        image_missing: number;
        gold: number | null;
        source_record: number;
        meta: string;
      }
    >('SELECT id, query, image_sha256, image_ref, image_missing, gold, source_record, meta FROM cases ORDER BY seq')
    .all();
}

function importLog(store: CaseStore) {
  return store.db
    .prepare<[], { actor: string; after: string }>(
      "SELECT actor, after FROM audit_log WHERE action = 'import' ORDER BY id",
    )
    .all()
    .map(
      (row) => ({ ...(JSON.parse(row.after) as Record<string, unknown>), actor: row.actor }) as Record<string, unknown>,
    );
}

const errorFor = (summary: ImportSummary, record: number) => summary.errors.filter((error) => error.record === record);

describe('GuardTrace dataset JSON', () => {
  it('imports the sample set: 7 cases, 1 missing image kept as imageMissing, 1 imageless, 4 distinct images', async () => {
    const store = openTempStore();
    const summary = await importFile(asStore(store), { file: SAMPLE, actor: 'ann' });
    expect(summary).toMatchObject({
      format: 'guardtrace',
      total: 7,
      imported: 7,
      duplicates: 0,
      rejected: 0,
      imagesMissing: 1,
      errors: [],
    });
    const rows = caseRows(store);
    const missing = rows.filter((row) => row.image_missing === 1);
    expect(missing).toHaveLength(1);
    expect(missing[0]).toMatchObject({ image_ref: 'missing-file.png', image_sha256: null, gold: 0 });
    expect(rows.filter((row) => row.image_ref === null && row.image_sha256 === null)).toHaveLength(1);
    expect(rows.map((row) => row.gold)).toEqual([0, 0, 0.5, 1, 0, 0, 0.5]);
    // street-scene.jpg is used twice and stored once.
    expect(store.db.prepare('SELECT count(*) AS n FROM images').get()).toEqual({ n: 4 });
    const webp = store.db.prepare("SELECT mime, width, height FROM images WHERE mime = 'image/webp'").get();
    expect(webp).toEqual({ mime: 'image/webp', width: 300, height: 200 });
    const detail = store.caseDetail(missing[0].id);
    expect(detail.imageMissing).toBe(true);
    expect(detail.image).toBeNull();
    expect(importLog(store)).toEqual([
      expect.objectContaining({ actor: 'ann', file: SAMPLE, imported: 7, duplicates: 0, rejected: 0 }),
    ]);
  });

  it('re-importing the same file adds nothing and reports every record as a duplicate', async () => {
    const store = openTempStore();
    await importFile(asStore(store), { file: SAMPLE });
    const again = await importFile(asStore(store), { file: SAMPLE });
    expect(again).toMatchObject({ imported: 0, duplicates: 7, rejected: 0 });
    expect(store.db.prepare('SELECT count(*) AS n FROM cases').get()).toEqual({ n: 7 });
    expect(importLog(store).map((entry) => entry.duplicates)).toEqual([0, 7]);
  });

  it('reports each bad record with file, record number and field, and imports the good ones', async () => {
    const dir = tempDir();
    mkdirSync(path.join(dir, 'images'));
    writeFileSync(path.join(dir, 'secret.png'), await smallImage('png'));
    writeFileSync(path.join(dir, 'images', 'ok.png'), await smallImage('png', 1));
    const file = path.join(dir, 'cases.json');
    const good = { question: 'q', thinking: 't', response: 'r' };
    writeFileSync(
      file,
      JSON.stringify([
        { ...good, image_name: 'ok.png', evaluation_result: '0.5' },
        { thinking: 't', response: 'r', evaluation_result: 0 },
        { ...good, question: 'q2', evaluation_result: 2 },
        { ...good, question: 'q3', image_name: '../secret.png' },
        { ...good, question: 'q4', image_name: '/etc/passwd' },
        'not an object',
        { ...good, question: 'q5', evaluation_result: 1, source: 'extra field kept' },
      ]),
    );
    const store = openTempStore();
    const summary = await importFile(asStore(store), { file });
    expect(summary).toMatchObject({ total: 7, imported: 2, rejected: 5 });
    expect(errorFor(summary, 2)).toEqual([
      { file, record: 2, field: 'question', reason: expect.stringContaining('missing') },
    ]);
    expect(errorFor(summary, 3)).toEqual([
      { file, record: 3, field: 'evaluation_result', reason: expect.stringMatching(/0, 0.5 or 1.*2/) },
    ]);
    expect(errorFor(summary, 4)).toEqual([
      { file, record: 4, field: 'image_name', reason: expect.stringContaining('outside the images folder') },
    ]);
    expect(errorFor(summary, 5)).toEqual([
      { file, record: 5, field: 'image_name', reason: expect.stringContaining('absolute path') },
    ]);
    expect(errorFor(summary, 6)).toEqual([
      { file, record: 6, field: null, reason: expect.stringContaining('JSON object') },
    ]);
    const rows = caseRows(store);
    expect(rows.map((row) => [row.query, row.gold, row.source_record])).toEqual([
      ['q', 0.5, 1],
      ['q5', 1, 7],
    ]);
    expect(JSON.parse(rows[1].meta)).toEqual({ source: 'extra field kept' });
  });

  it('refuses a symlink inside the images folder that points outside it', async () => {
    const dir = tempDir();
    mkdirSync(path.join(dir, 'images'));
    writeFileSync(path.join(dir, 'outside.png'), await smallImage('png'));
    symlinkSync(path.join(dir, 'outside.png'), path.join(dir, 'images', 'link.png'));
    const file = path.join(dir, 'cases.json');
    writeFileSync(file, JSON.stringify([{ image_name: 'link.png', question: 'q', thinking: 't', response: 'r' }]));
    const summary = await importFile(asStore(openTempStore()), { file });
    expect(summary.rejected).toBe(1);
    expect(summary.errors[0]).toMatchObject({
      record: 1,
      field: 'image_name',
      reason: expect.stringContaining('outside the images folder'),
    });
  });

  it('throws a readable whole-file error for a file that is not a JSON array', async () => {
    const dir = tempDir();
    const notJson = path.join(dir, 'broken.json');
    writeFileSync(notJson, '[{"question": ');
    await expect(importFile(asStore(openTempStore()), { file: notJson })).rejects.toThrow(
      /broken\.json is not valid JSON/,
    );
    const object = path.join(dir, 'object.json');
    writeFileSync(object, '{"question": "q"}');
    await expect(importFile(asStore(openTempStore()), { file: object })).rejects.toThrow(/not an array/);
    await expect(importFile(asStore(openTempStore()), { file: path.join(dir, 'nope.json') })).rejects.toMatchObject({
      code: 'usage',
    });
    await expect(
      importFile(asStore(openTempStore()), {
        file: object,
        format: undefined,
        imagesDir: path.join(dir, 'no-such-dir'),
      }),
    ).rejects.toBeInstanceOf(IoError);
  });

  it('refuses a format it has no reader for (a request from another process), importing nothing', async () => {
    const store = openTempStore();
    const request = { file: SAMPLE, format: 'xlsx' } as unknown as Parameters<typeof importFile>[1];
    await expect(importFile(asStore(store), request)).rejects.toMatchObject({
      code: 'usage',
      message: 'Unknown import format "xlsx". Use one of: guardtrace, jsonl, csv, guardtrace-results.',
    });
    expect(store.metrics.stats().cases).toBe(0);
  });
});

describe('JSONL', () => {
  it('a malformed data: URI is an error of its record only; the rest of the file is imported', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'cases.jsonl');
    const record = (id: string, image?: string) =>
      JSON.stringify({ id, question: `q ${id}`, thinking: 't', response: 'r', ...(image ? { image } : {}) });
    writeFileSync(
      file,
      [record('before'), record('bad-uri', 'data:image/png,%E0%A4%A'), record('after')].join('\n') + '\n',
    );
    const store = openTempStore();
    const summary = await importFile(asStore(store), { file });
    expect(summary).toMatchObject({ total: 3, imported: 2, rejected: 1 });
    expect(summary.errors).toEqual([
      expect.objectContaining({ record: 2, reason: expect.stringMatching(/invalid %-escape/) }),
    ]);
    expect(store.cases.exists('after')).toBe(true);
  });

  it('imports good lines, rejects bad ones by line number and field, resolves images and data: URIs', async () => {
    const dir = tempDir();
    mkdirSync(path.join(dir, 'pics'));
    writeFileSync(path.join(dir, 'pics', 'a.webp'), await smallImage('webp', 3));
    const gif = await smallImage('gif', 4);
    const lines = [
      JSON.stringify({
        id: 'case-1',
        question: 'q1',
        thinking: 't1',
        response: 'r1',
        image: 'pics/a.webp',
        gold: 1,
        meta: { lang: 'en' },
      }),
      '',
      '{"id": "case-2", "question": ',
      JSON.stringify({ id: 'case-3', question: 'q3', thinking: 't3' }),
      JSON.stringify({ id: 'case-4', question: 'q4', thinking: 't4', response: 'r4', meta: 'not an object' }),
      JSON.stringify({ id: 'case-5', question: 'q5', thinking: 't5', response: 'r5', gold: 'harmful' }),
      JSON.stringify({
        question: 'q6',
        thinking: 't6',
        response: 'r6',
        image: `data:image/png;base64,${gif.toString('base64')}`,
      }),
      JSON.stringify({ id: 7, question: 'q7', thinking: '', response: 'r7', image: 'pics/absent.png' }),
    ];
    const file = path.join(dir, 'cases.jsonl');
    writeFileSync(file, lines.join('\n') + '\n');
    const store = openTempStore();
    const progress: ImportProgress[] = [];
    const summary = await importFile(asStore(store), { file }, (p) => progress.push(p));
    expect(summary).toMatchObject({ format: 'jsonl', total: 7, imported: 3, rejected: 4, imagesMissing: 1 });
    expect(errorFor(summary, 3)[0]).toMatchObject({ field: null, reason: expect.stringContaining('not valid JSON') });
    expect(errorFor(summary, 4)[0]).toMatchObject({ field: 'response', reason: expect.stringContaining('missing') });
    expect(errorFor(summary, 5)[0]).toMatchObject({ field: 'meta', reason: expect.stringContaining('JSON object') });
    expect(errorFor(summary, 6)[0]).toMatchObject({ field: 'gold', reason: expect.stringContaining('"harmful"') });
    const rows = caseRows(store);
    expect(rows.map((row) => row.id)).toEqual(['case-1', expect.stringMatching(/^c-[0-9a-f]{24}$/), '7']);
    expect(JSON.parse(rows[0].meta)).toEqual({ lang: 'en' });
    // The data: URI said PNG; the bytes are a GIF, and the bytes win.
    expect(store.images.info(rows[1].image_sha256!)).toMatchObject({ mime: 'image/gif', width: 24, height: 16 });
    expect(rows[2]).toMatchObject({ image_missing: 1, image_ref: 'pics/absent.png' });
    expect(progress.at(-1)).toEqual({ file, processed: 7, total: 7 });
  });

  it('commits one transaction and one activity-log entry per batch', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'many.jsonl');
    writeFileSync(
      file,
      Array.from({ length: 7 }, (_, i) => JSON.stringify({ question: `q${i}`, thinking: 't', response: 'r' })).join(
        '\n',
      ),
    );
    const store = openTempStore();
    const progress: ImportProgress[] = [];
    await importFile(asStore(store), { file }, (p) => progress.push(p), { batchSize: 3 });
    expect(importLog(store).map((entry) => [entry.records, entry.imported])).toEqual([
      [[1, 3], 3],
      [[4, 6], 3],
      [[7, 7], 1],
    ]);
    expect(progress.map((p) => p.processed)).toEqual([3, 6, 7, 7]);
    const batches = store.db.prepare('SELECT imported, finished_at IS NOT NULL AS finished FROM import_batches').all();
    expect(batches).toEqual([{ imported: 7, finished: 1 }]);
  });

  it('full-text indexes every imported case, batches with duplicates and rejects included, and later writes too', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'search.jsonl');
    const lines = Array.from({ length: 8 }, (_, i) =>
      JSON.stringify({ id: `s${i}`, question: `skimmer q${i}`, thinking: `think${i}`, response: 'r' }),
    );
    lines.splice(4, 0, '{"question": "no thinking"}');
    writeFileSync(file, lines.join('\n'));
    const store = openTempStore();
    await importFile(asStore(store), { file }, undefined, { batchSize: 3 });
    // Again: every record is a duplicate, nothing must be indexed twice.
    expect(await importFile(asStore(store), { file }, undefined, { batchSize: 3 })).toMatchObject({
      imported: 0,
      duplicates: 8,
      rejected: 1,
    });
    const found = (search: string) =>
      store.cases.list({ search, sort: 'newest', limit: 100 }).rows.map((row) => row.id);
    expect(found('skimmer')).toEqual(['s7', 's6', 's5', 's4', 's3', 's2', 's1', 's0']);
    expect(found('think5')).toEqual(['s5']);
    expect(store.cases.list({ search: 'skimmer', sort: 'model_risk' }).total).toBe(8);
    writeFileSync(file, JSON.stringify({ id: 'late', question: 'skimmer late', thinking: 't', response: 'r' }));
    await importFile(asStore(store), { file });
    expect(found('skimmer')[0]).toBe('late');
    // rank = 1: the index is checked against the cases table, not only against itself.
    expect(() => store.db.exec("INSERT INTO cases_fts (cases_fts, rank) VALUES ('integrity-check', 1)")).not.toThrow();
    expect(store.db.prepare('SELECT count(*) FROM cases_fts_deferred').pluck().get()).toBe(0);
  });

  it('gives the same content the same id across files, and keeps distinct source ids apart', async () => {
    const dir = tempDir();
    const a = path.join(dir, 'a.jsonl');
    const b = path.join(dir, 'b.ndjson');
    writeFileSync(a, `${JSON.stringify({ question: 'same', thinking: 't', response: 'r' })}\n`);
    writeFileSync(
      b,
      `${JSON.stringify({ question: 'same', thinking: 't', response: 'r', gold: 0 })}\n${JSON.stringify({ id: 'x', question: 'same', thinking: 't', response: 'r' })}\n`,
    );
    const store = openTempStore();
    await importFile(asStore(store), { file: a });
    expect(await importFile(asStore(store), { file: b })).toMatchObject({
      format: 'jsonl',
      imported: 1,
      duplicates: 1,
    });
  });
});

describe('CSV', () => {
  it('imports the same columns, meta as a JSON cell, quoted multi-line cells, and reports the starting line', async () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, 'p.png'), await smallImage('png', 5));
    const file = path.join(dir, 'cases.csv');
    writeFileSync(
      file,
      [
        'id,question,thinking,response,image,gold,meta',
        'a,"q, with comma","line one\nline two",r,p.png,0.5,"{""lang"": ""de""}"',
        'b,q2,t2,r2,,,',
        'c,,t3,r3,,,',
        'd,q4,t4,r4,,0.7,',
        'e,q5,t5,r5,,,{not json',
        'f,q6,t6,r6,notes.txt,,',
      ].join('\n'),
    );
    writeFileSync(path.join(dir, 'notes.txt'), 'hello');
    const store = openTempStore();
    const summary = await importFile(asStore(store), { file });
    expect(summary).toMatchObject({ format: 'csv', total: 6, imported: 2, rejected: 4 });
    expect(summary.errors.map((error) => [error.record, error.field])).toEqual([
      [5, 'question'],
      [6, 'gold'],
      [7, 'meta'],
      [8, 'image'],
    ]);
    expect(summary.errors[3].reason).toContain('notes.txt');
    const rows = caseRows(store);
    expect(rows[0]).toMatchObject({ id: 'a', query: 'q, with comma', gold: 0.5, source_record: 2 });
    expect(JSON.parse(rows[0].meta)).toEqual({ lang: 'de' });
    expect(store.caseDetail('a').thinking).toBe('line one\nline two');
    expect(rows[1]).toMatchObject({ id: 'b', gold: null, image_sha256: null });
  });

  it('refuses a file whose header lacks a required column, naming it', async () => {
    const file = path.join(tempDir(), 'bad.csv');
    writeFileSync(file, 'id,query,thinking,response\n1,q,t,r\n');
    await expect(importFile(asStore(openTempStore()), { file })).rejects.toThrow(/lacks the column\(s\) question/);
  });

  it('rejects a row with the wrong number of cells and carries on', async () => {
    const file = path.join(tempDir(), 'ragged.csv');
    writeFileSync(file, 'question,thinking,response\nq1,t1,r1\nq2,t2\nq3,t3,r3\n');
    const summary = await importFile(asStore(openTempStore()), { file });
    expect(summary).toMatchObject({ imported: 2, rejected: 1 });
    expect(summary.errors[0]).toMatchObject({ record: 3, field: null, reason: expect.stringContaining('CSV') });
  });
});

describe('images are identified by content and size-checked from the header', () => {
  it('sniffs PNG, JPEG, WebP and GIF by magic bytes and nothing else', async () => {
    expect(sniffImageType(await smallImage('png'))).toBe('image/png');
    expect(sniffImageType(await smallImage('jpeg'))).toBe('image/jpeg');
    expect(sniffImageType(await smallImage('webp'))).toBe('image/webp');
    expect(sniffImageType(await smallImage('gif'))).toBe('image/gif');
    expect(sniffImageType(SVG)).toBeNull();
    expect(sniffImageType(Buffer.from('just text'))).toBeNull();
  });

  it('rejects a PNG header claiming 100000x100000 and a real 1-bit bomb over 40 megapixels, without decoding', async () => {
    const claimed = await inspectImage(pngHeaderClaiming(100_000, 100_000), 'huge.png');
    expect(claimed).toEqual({ ok: false, reason: expect.stringContaining('huge.png claims 100000x100000') });
    const bomb = realPngBomb(8000, 6000); // 48 MP, both sides under 16384
    expect(bomb.length).toBeLessThan(100_000);
    const started = performance.now();
    const result = await inspectImage(bomb, 'bomb.png');
    expect(result).toEqual({ ok: false, reason: expect.stringContaining('8000x6000') });
    expect(performance.now() - started).toBeLessThan(1000);
    const tall = await inspectImage(pngHeaderClaiming(100, 20_000), 'tall.png');
    expect(tall.ok).toBe(false);
  });

  it('rejects an SVG, a text file named .png and a bomb in an import, naming the file, and keeps the rest', async () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, 'vector.svg'), SVG);
    writeFileSync(path.join(dir, 'fake.png'), 'this is not an image\n');
    writeFileSync(path.join(dir, 'bomb.png'), realPngBomb(8000, 6000));
    writeFileSync(path.join(dir, 'fine.gif'), await smallImage('gif', 9));
    const file = path.join(dir, 'cases.jsonl');
    const line = (question: string, image: string) => JSON.stringify({ question, thinking: 't', response: 'r', image });
    writeFileSync(
      file,
      [line('svg', 'vector.svg'), line('text', 'fake.png'), line('bomb', 'bomb.png'), line('gif', 'fine.gif')].join(
        '\n',
      ),
    );
    const store = openTempStore();
    const summary = await importFile(asStore(store), { file });
    expect(summary).toMatchObject({ imported: 1, rejected: 3 });
    expect(summary.errors).toEqual([
      { file, record: 1, field: 'image', reason: expect.stringMatching(/vector\.svg is an SVG/) },
      { file, record: 2, field: 'image', reason: expect.stringMatching(/fake\.png is not a PNG, JPEG, WebP or GIF/) },
      { file, record: 3, field: 'image', reason: expect.stringMatching(/bomb\.png claims 8000x6000/) },
    ]);
    expect(store.db.prepare('SELECT mime FROM images').all()).toEqual([{ mime: 'image/gif' }]);
  });
});
