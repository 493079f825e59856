import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli';
import { tempDir } from '../helpers/temp-dir';
import { smallImage } from '../io/image-fixtures';
import { FIGSTEP_QUERY } from '@domain/reference-eval';

const cli = runCli;

describe('guardtrace import --format guardtrace-results', () => {
  it('stores reference verdicts, lists the script error per record, exits 1 for it; stats --json carries agreement', async () => {
    const dir = tempDir('guardtrace-cli-ref-');
    const dataDir = path.join(dir, 'data');
    const file = path.join(dir, 'results.json');
    writeFileSync(
      file,
      JSON.stringify([
        { image_name: '', query: 'q1', thinking: 't', response: 'r1', eval_result: '"Judgment": 1', label: 1 },
        { image_name: 'x.png', error: 'Failed to process item [x.png]: boom' },
      ]),
    );
    const run = await cli(['import', file, '--format', 'guardtrace-results', '--data-dir', dataDir]);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(
      /Reference verdicts: 1 stored \(0 without a parseable verdict\), 0 already present, 0 attached to cases already imported, 1 record/,
    );
    expect(run.stderr).toMatch(/results\.json:2: field "error" the reference script failed on this record.*boom/);

    const stats = await cli(['stats', '--json', '--data-dir', dataDir]);
    expect(stats.code).toBe(0);
    // No app verdict yet, so there is nothing to compare.
    expect(JSON.parse(stats.stdout)).toMatchObject({ cases: 1, audits: 0, referenceAgreement: null });
    const text = await cli(['stats', '--data-dir', dataDir]);
    expect(text.stdout).toMatch(/app vs reference script\s+no case has both/);
  });

  it('--as-reference-eval stores the FigStep query for S-Eval images; the results then attach to that case', async () => {
    const dir = tempDir('guardtrace-cli-figstep-');
    const dataDir = path.join(dir, 'data');
    mkdirSync(path.join(dir, 'images'));
    writeFileSync(path.join(dir, 'images', 'S-Eval_3.png'), await smallImage('png'));
    const dataset = path.join(dir, 'S-Eval_600.json');
    writeFileSync(
      dataset,
      JSON.stringify([{ id: 'seval-3', image_name: 'S-Eval_3.png', question: 'Q', thinking: 'T', response: 'R' }]),
    );
    expect((await cli(['import', dataset, '--as-reference-eval', '--data-dir', dataDir])).code).toBe(0);
    const results = path.join(dir, 'results.json');
    writeFileSync(
      results,
      JSON.stringify([
        {
          image_name: 'S-Eval_3.png',
          query: 'Q',
          thinking: 'T',
          response: 'R',
          eval_result: '"Judgment": 1',
          label: 1,
        },
      ]),
    );
    const run = await cli(['import', results, '--format', 'guardtrace-results', '--data-dir', dataDir]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/1 attached to cases already imported/);
    const out = path.join(dir, 'cases.jsonl');
    expect(
      (await cli(['export', '--format', 'jsonl', '--out', out, '--only', 'all', '--data-dir', dataDir])).code,
    ).toBe(0);
    const [exported] = readFileSync(out, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(exported).toMatchObject({ id: 'seval-3', query: FIGSTEP_QUERY });
    expect(JSON.stringify(exported)).toContain('"originalQuery":"Q"');
  });

  it('refuses an out-of-range --max-pixels before loading anything', async () => {
    const run = await cli(['audit', '--max-pixels', '100', '--data-dir', tempDir('guardtrace-cli-mp-')]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/--max-pixels must be between 6272 and 12845056/);
  });
});
