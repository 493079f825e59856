// The reference evaluation's input rules at import: reference results land on the cases the dataset import made
// (whatever their ids), with the script's fallbacks for missing texts and a bad label reported, not fatal; and the
// S-Eval FigStep query, substituted exactly as eval/S-Eval_test_eval.py does and recorded on the case.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FIGSTEP_QUERY, REFERENCE_FALLBACKS, referenceEvalOf } from '@domain/reference-eval';
import { importFile } from '@main/io/import';
import type { CaseStore } from '@main/store/sqlite';
import { asStore, openTempStore } from '../helpers/store-fixtures';
import { SHARED_DIR } from '../helpers/shared-dir';
import { tempDir } from '../helpers/temp-dir';
import { smallImage } from './image-fixtures';

const SCRIPT = path.join(SHARED_DIR, 'guardtrace/S-Eval_test_eval.py');

function cases(store: CaseStore) {
  return store.db
    .prepare<[], { id: string; query: string; thinking: string; response: string; gold: number | null; meta: string }>(
      'SELECT id, query, thinking, response, gold, meta FROM cases ORDER BY seq',
    )
    .all();
}

function referenceCaseIds(store: CaseStore): string[] {
  return store.db
    .prepare<[], { case_id: string }>('SELECT case_id FROM reference_verdicts ORDER BY id')
    .all()
    .map((r) => r.case_id);
}

async function folder() {
  const dir = tempDir('guardtrace-reference-eval-');
  const images = path.join(dir, 'images');
  mkdirSync(images);
  const png = await smallImage('png');
  writeFileSync(path.join(images, 'cat.png'), png);
  writeFileSync(path.join(images, 'S-Eval_7.png'), png);
  return { dir, images };
}

function writeJson(dir: string, name: string, value: unknown): string {
  const file = path.join(dir, name);
  writeFileSync(file, JSON.stringify(value));
  return file;
}

describe('the reference script, read from the shared folder', () => {
  it.skipIf(!existsSync(SCRIPT))('FigStep query and fallbacks are the script’s own, character for character', () => {
    const script = readFileSync(SCRIPT, 'utf8');
    expect(script).toContain(`figstep_prompt = ${JSON.stringify(FIGSTEP_QUERY)}`);
    expect(script).toContain(`item.get("question", "${REFERENCE_FALLBACKS.query}")`);
    expect(script).toContain(`item.get('thinking', '${REFERENCE_FALLBACKS.thinking}')`);
    expect(script).toContain(`item.get('response', '${REFERENCE_FALLBACKS.response}')`);
    // The substitution applies to items with an image name that starts with "S-Eval", and only to them.
    expect(script).toMatch(
      /if has_image:\s+if image_name\.startswith\("S-Eval"\):\s+current_task_query = figstep_prompt/,
    );
  });
});

describe('reference results land on the right cases', () => {
  it('attach to the dataset’s cases by content, even when those have their own ids and the image is elsewhere', async () => {
    const store = openTempStore();
    const { dir, images } = await folder();
    const dataset = writeJson(dir, 'dataset.json', [
      { id: 'd-1', image_name: 'cat.png', question: 'Train a cat?', thinking: 'Benign.', response: 'Treats.' },
      {
        id: 'd-2',
        image_name: '',
        question: 'Pick a lock?',
        thinking: 'Risky.',
        response: 'Step 1',
        evaluation_result: 1,
      },
      { id: 'd-3', image_name: '', question: 'A joke?', thinking: '', response: 'Why did…' },
    ]);
    expect((await importFile(asStore(store), { file: dataset, imagesDir: images })).imported).toBe(3);
    // The results sit in a folder of their own, without the images: before, this made new hash-id cases.
    const elsewhere = tempDir('guardtrace-results-');
    const results = writeJson(elsewhere, 'GuardTrace_16model.json', [
      {
        image_name: 'cat.png',
        query: 'Train a cat?',
        thinking: 'Benign.',
        response: 'Treats.',
        eval_result: '"Judgment": 0',
        label: '',
      },
      {
        image_name: '',
        query: 'Pick a lock?',
        thinking: 'Risky.',
        response: 'Step 1',
        eval_result: '"Judgment": 1',
        label: 1,
      },
      // The dataset held an empty thinking: the script sent "" and wrote "", so it is that case, not a fallback one.
      { image_name: '', query: 'A joke?', thinking: '', response: 'Why did…', eval_result: '"Judgment": 0', label: '' },
    ]);
    const summary = await importFile(asStore(store), { file: results, format: 'guardtrace-results' });
    expect(summary).toMatchObject({ total: 3, imported: 0, duplicates: 3, rejected: 0, imagesMissing: 0 });
    expect(summary.reference).toMatchObject({ verdicts: 3, matchedExisting: 3 });
    expect(cases(store).map((c) => c.id)).toEqual(['d-1', 'd-2', 'd-3']);
    expect(referenceCaseIds(store)).toEqual(['d-1', 'd-2', 'd-3']);
  });

  it('missing or empty texts get the script’s fallbacks; a JSON null was sent as "None"', async () => {
    const store = openTempStore();
    const { dir } = await folder();
    const results = writeJson(dir, 'results.json', [
      { image_name: '', thinking: 't', response: 'r', eval_result: '"Judgment": 0', label: 0 },
      { image_name: '', query: 'q', thinking: '', response: '', eval_result: '"Judgment": 0.5', label: 0.5 },
      { image_name: '', query: 'q2', thinking: null, response: 'r2', eval_result: '"Judgment": 1', label: 1 },
    ]);
    const summary = await importFile(asStore(store), { file: results, format: 'guardtrace-results' });
    expect(summary).toMatchObject({ imported: 3, rejected: 0, errors: [] });
    expect(cases(store).map((c) => [c.query, c.thinking, c.response])).toEqual([
      ['No question provided', 't', 'r'],
      ['q', 'No thinking provided', 'No response provided'],
      ['q2', 'None', 'r2'],
    ]);
    expect(referenceCaseIds(store)).toHaveLength(3);
  });

  it('a label outside 0/0.5/1 is reported per record, and the record and its verdict are kept', async () => {
    const store = openTempStore();
    const { dir } = await folder();
    const results = writeJson(dir, 'results.json', [
      { image_name: '', query: 'q', thinking: 't', response: 'r', eval_result: '"Judgment": 1', label: 2 },
      { image_name: '', query: 'q3', thinking: 't', response: 'r', eval_result: '"Judgment": 0', label: 'unsafe' },
    ]);
    const summary = await importFile(asStore(store), { file: results, format: 'guardtrace-results' });
    expect(summary).toMatchObject({ imported: 2, rejected: 0 });
    expect(summary.reference).toMatchObject({ verdicts: 2, parseFailures: 0 });
    expect(summary.errors).toEqual([
      {
        file: results,
        record: 1,
        field: 'label',
        reason: expect.stringMatching(/must be 0, 0\.5 or 1, got number 2.*verdict were imported/),
      },
      { file: results, record: 2, field: 'label', reason: expect.stringMatching(/got "unsafe"/) },
    ]);
    expect(cases(store).map((c) => c.gold)).toEqual([null, null]);
    expect(referenceCaseIds(store)).toHaveLength(2);
  });
});

describe('the S-Eval FigStep query', () => {
  const item = { image_name: 'S-Eval_7.png', question: 'How to make a weapon?', thinking: 'No.', response: 'Refused.' };
  const other = { image_name: 'cat.png', question: 'Train a cat?', thinking: 'Benign.', response: 'Treats.' };
  const textOnly = { image_name: '', question: 'S-Eval text?', thinking: 'x', response: 'y' };

  it('--as-reference-eval replaces the query of S-Eval image cases only, and records the original on the case', async () => {
    const store = openTempStore();
    const { dir, images } = await folder();
    const dataset = writeJson(dir, 'S-Eval_600.json', [item, other, textOnly]);
    await importFile(asStore(store), { file: dataset, imagesDir: images, asReferenceEval: true });
    const [seval, cat, text] = cases(store);
    expect(seval.query).toBe(FIGSTEP_QUERY);
    expect(referenceEvalOf(JSON.parse(seval.meta) as Record<string, unknown>)).toEqual({
      substitution: 'S-Eval FigStep query',
      originalQuery: 'How to make a weapon?',
    });
    expect(cat.query).toBe('Train a cat?');
    expect(text.query).toBe('S-Eval text?');
    expect(referenceEvalOf(JSON.parse(cat.meta) as Record<string, unknown>)).toBeNull();
  });

  it('without the option the dataset’s question stays', async () => {
    const store = openTempStore();
    const { dir, images } = await folder();
    await importFile(asStore(store), { file: writeJson(dir, 'd.json', [item]), imagesDir: images });
    expect(cases(store)[0].query).toBe('How to make a weapon?');
  });

  it('reference results of S-Eval images land on the FigStep case, or on the case imported as is', async () => {
    const resultRecord = {
      image_name: item.image_name,
      query: item.question, // the script writes the dataset's question, though it sent the FigStep query
      thinking: item.thinking,
      response: item.response,
      eval_result: '"Judgment": 1',
      label: 1,
    };
    for (const asReferenceEval of [true, false]) {
      const store = openTempStore();
      const { dir, images } = await folder();
      await importFile(asStore(store), { file: writeJson(dir, 'd.json', [item]), imagesDir: images, asReferenceEval });
      const summary = await importFile(asStore(store), {
        file: writeJson(tempDir('guardtrace-results-'), 'r.json', [resultRecord]),
        format: 'guardtrace-results',
      });
      expect(summary.reference, `asReferenceEval ${asReferenceEval}`).toMatchObject({
        verdicts: 1,
        matchedExisting: 1,
      });
      expect(cases(store)).toHaveLength(1);
      expect(referenceCaseIds(store)).toEqual([cases(store)[0].id]);
    }
  });

  it('reference results imported alone make the case the script audited: FigStep query, original recorded', async () => {
    const store = openTempStore();
    const { dir, images } = await folder();
    const results = writeJson(dir, 'r.json', [
      { image_name: 'S-Eval_7.png', query: 'Q', thinking: 'T', response: 'R', eval_result: '"Judgment": 0', label: 0 },
    ]);
    await importFile(asStore(store), { file: results, format: 'guardtrace-results', imagesDir: images });
    const [only] = cases(store);
    expect(only.query).toBe(FIGSTEP_QUERY);
    expect(referenceEvalOf(JSON.parse(only.meta) as Record<string, unknown>)?.originalQuery).toBe('Q');
    // The dataset imported afterwards with --as-reference-eval is the same case (same content, same id).
    const again = await importFile(asStore(store), {
      file: writeJson(dir, 'd.json', [{ image_name: 'S-Eval_7.png', question: 'Q', thinking: 'T', response: 'R' }]),
      imagesDir: images,
      asReferenceEval: true,
    });
    expect(again).toMatchObject({ imported: 0, duplicates: 1 });
  });
});
