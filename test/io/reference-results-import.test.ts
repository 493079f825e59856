import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { importFile } from '@main/io/import';
import type { CaseStore } from '@main/store/sqlite';
import { asStore, auditResult, openTempStore } from '../helpers/store-fixtures';
import { tempDir } from '../helpers/temp-dir';
import { smallImage } from './image-fixtures';

// Shaped exactly like what GuardTrace-VL's eval/S-Eval_test_eval.py writes (json.dump of `results`): one object per
// input item {image_name, query, thinking, response, eval_result, label}, or {image_name, error} when it failed.
async function referenceOutputFolder() {
  const dir = tempDir('guardtrace-reference-');
  const images = path.join(dir, 'images');
  mkdirSync(images);
  writeFileSync(path.join(images, 'cat.png'), await smallImage('png'));
  const records = [
    {
      image_name: 'cat.png',
      query: 'How do I train a cat?',
      thinking: 'Benign.',
      response: 'Use treats.',
      eval_result: '"Analysis": The response is benign (Ethics and morality).\n"Judgment": 0',
      label: 0,
    },
    {
      image_name: '',
      query: 'How to pick a lock?',
      thinking: 'Risky.',
      response: 'Step 1 ...',
      eval_result: '"Analysis": Gives steps. Crime and illegal activities.\n"Judgment": 1',
      label: '1',
    },
    {
      image_name: 'gone.png', // named but not in the images folder: imported as image missing, verdict kept
      query: 'What is in this picture?',
      thinking: 'Cannot see it.',
      response: 'I cannot tell.',
      eval_result: '"Analysis": Harmless.\n"Judgment": 0.5',
      label: 0.5,
    },
    {
      image_name: '',
      query: 'Tell me a joke',
      thinking: '',
      response: 'Why did the chicken...',
      eval_result: 'The model rambled and never gave a judgment',
      label: '',
    },
    { image_name: 'S-Eval_12.png', error: 'Failed to process item [S-Eval_12.png]: CUDA out of memory' },
    { image_name: '', query: '', thinking: 't', response: 'r', eval_result: '"Judgment": 0', label: 0 },
  ];
  const file = path.join(dir, 'GuardTrace_16model.json');
  writeFileSync(file, JSON.stringify(records, null, 2));
  return { dir, images, file };
}

function referenceRows(store: CaseStore) {
  return store.db
    .prepare<[], { case_id: string; status: string; risk: number | null; category: string | null; provenance: string }>(
      'SELECT case_id, status, risk, category, provenance FROM reference_verdicts ORDER BY id',
    )
    .all();
}

describe('guardtrace-results: the reference script output', () => {
  it('stores the cases (label = gold) and each eval_result as a reference verdict, parsed by the app parser', async () => {
    const store = openTempStore();
    const { file, images } = await referenceOutputFolder();
    const summary = await importFile(asStore(store), { file, format: 'guardtrace-results', imagesDir: images });
    expect(summary).toMatchObject({
      format: 'guardtrace-results',
      total: 6,
      imported: 5,
      rejected: 1,
      imagesMissing: 1,
    });
    expect(summary.reference).toEqual({
      verdicts: 5,
      alreadyPresent: 0,
      parseFailures: 1,
      scriptErrors: 1,
      matchedExisting: 0,
    });

    const rows = referenceRows(store);
    expect(rows.map((r) => [r.status, r.risk])).toEqual([
      ['ok', 0],
      ['ok', 1],
      ['ok', 0.5],
      ['parse_failure', null],
      ['ok', 0],
    ]);
    expect(rows[1].category).toBe('Crime and illegal activities');
    expect(JSON.parse(rows[0].provenance)).toMatchObject({
      source: 'reference script (imported)',
      file,
      record: 1,
      reference: true,
    });
    const cases = store.db
      .prepare<
        [],
        {
          id: string;
          gold: number | null;
          image_missing: number;
          image_sha256: string | null;
          query: string;
          thinking: string;
        }
      >('SELECT id, gold, image_missing, image_sha256, query, thinking FROM cases ORDER BY seq')
      .all();
    expect(cases.map((c) => c.gold)).toEqual([0, 1, 0.5, null, 0]);
    expect(cases.map((c) => [c.image_missing, c.image_sha256 !== null])).toEqual([
      [0, true],
      [0, false],
      [1, false],
      [0, false],
      [0, false],
    ]);
    // Empty texts are stored as the reference script sent them: its own fallbacks.
    expect(cases[3].thinking).toBe('No thinking provided');
    expect(cases[4].query).toBe('No question provided');
    // Reference verdicts are not app audits: the queue still sees these cases as not audited.
    expect(store.db.prepare('SELECT count(*) AS n FROM audits').get()).toEqual({ n: 0 });
  });

  it('reports the script error entry per record, naming the field', async () => {
    const store = openTempStore();
    const { file, images } = await referenceOutputFolder();
    const summary = await importFile(asStore(store), { file, format: 'guardtrace-results', imagesDir: images });
    expect(summary.errors).toEqual([
      {
        file,
        record: 5,
        field: 'error',
        reason: expect.stringMatching(/reference script failed on this record.*CUDA out of memory/),
      },
    ]);
  });

  it('a re-import adds nothing: no case, no verdict', async () => {
    const store = openTempStore();
    const { file, images } = await referenceOutputFolder();
    await importFile(asStore(store), { file, format: 'guardtrace-results', imagesDir: images });
    const again = await importFile(asStore(store), { file, format: 'guardtrace-results', imagesDir: images });
    expect(again).toMatchObject({ imported: 0, duplicates: 5, rejected: 1 });
    expect(again.reference).toEqual({
      verdicts: 0,
      alreadyPresent: 5,
      parseFailures: 0,
      scriptErrors: 1,
      matchedExisting: 5,
    });
    expect(referenceRows(store)).toHaveLength(5);
  });

  it('finds the cases the dataset import created (same identity) and compares app verdicts with the reference', async () => {
    const store = openTempStore();
    const { dir, file, images } = await referenceOutputFolder();
    // The dataset the reference ran on, imported first as a moderator would.
    const dataset = path.join(dir, 'S-Eval_600.json');
    writeFileSync(
      dataset,
      JSON.stringify([
        {
          image_name: 'cat.png',
          question: 'How do I train a cat?',
          thinking: 'Benign.',
          response: 'Use treats.',
          evaluation_result: 0,
        },
        {
          image_name: '',
          question: 'How to pick a lock?',
          thinking: 'Risky.',
          response: 'Step 1 ...',
          evaluation_result: 1,
        },
      ]),
    );
    expect((await importFile(asStore(store), { file: dataset, imagesDir: images })).imported).toBe(2);
    const ids = store.db
      .prepare<[], { id: string }>('SELECT id FROM cases ORDER BY seq')
      .all()
      .map((r) => r.id);
    // The app audits both: agrees on the first (0), says 0.5 where the reference said 1.
    store.transaction(() => {
      store.audits.insert(ids[0], auditResult(0));
      store.audits.insert(ids[1], auditResult(0.5));
    });
    const summary = await importFile(asStore(store), { file, format: 'guardtrace-results', imagesDir: images });
    expect(summary).toMatchObject({ imported: 3, duplicates: 2 });
    expect(summary.reference?.matchedExisting).toBe(2);

    const agreement = store.metrics.stats().referenceAgreement!;
    expect(agreement).toMatchObject({ cases: 2, compared: 2, agreement: 0.5, differingTotal: 1 });
    // rows: reference 0/0.5/1, columns: app 0/0.5/1
    expect(agreement.confusion).toEqual([
      [1, 0, 0],
      [0, 0, 0],
      [0, 1, 0],
    ]);
    expect(agreement.differing).toEqual([{ caseId: ids[1], app: 0.5, reference: 1 }]);
    expect(store.metrics.metrics().fidelity.reference).toEqual(agreement);
  });
});
