// Team review end to end: three data directories stand in for three workstations (a lead and two reviewers),
// and every step goes through the CLI, i.e. the same handler map as the app.
import { createHash } from 'node:crypto';
import { createWriteStream, existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import yazl from 'yazl';
import { beforeAll, describe, expect, it } from 'vitest';
import { main, type CliIo } from '@main/cli/main';
import type { DecisionsFile, PackManifest } from '@domain/team';
import type { RiskLevel } from '@domain/types';
import { fileKeyStorage, loadIdentity } from '@main/io/identity/workspace-identity';
import { CaseStore } from '@main/store/sqlite';
import { auditResult } from '../helpers/store-fixtures';
import { signedDecisions } from '../helpers/team-keys';
import { tempDir } from '../helpers/temp-dir';
import { smallImage } from '../io/image-fixtures';

async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const io: CliIo = { stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t), interactive: false };
  const code = await main(args, io);
  return { code, stdout, stderr };
}

/** Runs a command that must succeed and returns its --json output. */
async function ok<T = any>(...args: string[]): Promise<T> {
  const result = await cli(...args, '--json');
  if (result.code !== 0) throw new Error(`guardtrace ${args.join(' ')} exited ${result.code}: ${result.stderr}`);
  return JSON.parse(result.stdout) as T;
}

function withStore<T>(dir: string, work: (store: CaseStore) => T): T {
  const store = CaseStore.open(dir);
  try {
    return work(store);
  } finally {
    store.close();
  }
}

const ids = ['c01', 'c02', 'c03', 'c04', 'c05', 'c06', 'c07', 'c08', 'c09', 'c10'];
// The lead's model verdicts (auditResult gives category Cybersecurity to 0.5 and 1).
const MODEL: Record<string, RiskLevel> = {
  c01: 0,
  c02: 0,
  c03: 1,
  c04: 1,
  c05: 0.5,
  c06: 0,
  c07: 1,
  c08: 1,
  c09: 1,
  c10: 0,
};

const lead = tempDir('gt-lead-');
const ann = tempDir('gt-ann-');
const bob = tempDir('gt-bob-');
const work = tempDir('gt-files-');
const packsDir = path.join(work, 'packs');
const annDecisions = path.join(work, 'ann-decisions.json');
const bobDecisions = path.join(work, 'bob-decisions.json');
let annPack: PackManifest;
let bobPack: PackManifest;
let statsBeforeAdjudication: any;
let disputedBefore: string[];

const countRows = (dir: string) =>
  withStore(dir, (store) => ({
    cases: store.db.prepare('SELECT count(*) AS n FROM cases').pluck().get(),
    reviews: store.db.prepare('SELECT count(*) AS n FROM reviews').pluck().get(),
    packs: store.db.prepare('SELECT count(*) AS n FROM packs').pluck().get(),
    log: store.db.prepare('SELECT count(*) AS n FROM audit_log').pluck().get(),
  }));

beforeAll(async () => {
  // The lead's cases: ten, one with an image, all audited.
  writeFileSync(path.join(work, 'c05.png'), await smallImage('png', 5));
  const lines = ids.map((id) =>
    JSON.stringify({
      id,
      question: `question ${id}`,
      thinking: `thinking ${id}`,
      response: `response ${id}`,
      ...(id === 'c05' ? { image: 'c05.png' } : {}),
    }),
  );
  writeFileSync(path.join(work, 'cases.jsonl'), lines.join('\n') + '\n');
  expect(await ok('import', path.join(work, 'cases.jsonl'), '--data-dir', lead)).toMatchObject({ imported: 10 });
  withStore(lead, (store) =>
    store.transaction(() => {
      for (const id of ids) store.audits.insert(id, auditResult(MODEL[id]));
    }),
  );

  // Keys: each workstation exports its public key; the reviewers enrol the lead's, the lead each reviewer's.
  for (const [name, dir] of [
    ['lea', lead],
    ['ann', ann],
    ['bob', bob],
  ] as const)
    await ok('identity', 'export', '--out', path.join(work, `${name}.pub.json`), '--data-dir', dir);
  for (const dir of [ann, bob])
    await ok('team', 'trust', path.join(work, 'lea.pub.json'), '--as', 'lea', '--data-dir', dir);
  for (const name of ['ann', 'bob'])
    await ok('team', 'trust', path.join(work, `${name}.pub.json`), '--as', name, '--data-dir', lead);

  const created = await ok(
    'pack',
    'create',
    '--reviewers',
    'ann,bob',
    '--overlap',
    '0.4',
    '--out',
    packsDir,
    '--data-dir',
    lead,
  );
  expect(created).toMatchObject({ selected: 10, doubleReviewed: 4 });
  annPack = created.packs.find((p: any) => p.reviewer === 'ann');
  bobPack = created.packs.find((p: any) => p.reviewer === 'bob');

  // Reviewer workstations.
  expect(await ok('pack', 'import', path.join(packsDir, 'ann.gtpack'), '--data-dir', ann)).toMatchObject({
    reviewer: 'ann',
    cases: 6,
    newCases: 6,
    images: 1,
    verdicts: 6,
    alreadyImported: false,
  });
  expect(await ok('pack', 'import', path.join(packsDir, 'bob.gtpack'), '--data-dir', bob)).toMatchObject({
    reviewer: 'bob',
    cases: 8,
    newCases: 8,
    images: 0,
    verdicts: 8,
  });
  const review = (dir: string, reviewer: string, id: string, risk: string, category?: string, note?: string) =>
    ok(
      'review',
      id,
      '--risk',
      risk,
      '--reviewer',
      reviewer,
      '--data-dir',
      dir,
      ...(category ? ['--category', category] : []),
      ...(note ? ['--note', note] : []),
    );
  // ann: c08 first 1, then takes it back and says 0.5 (the undo travels in the decisions file).
  await review(ann, 'ann', 'c01', '0');
  await review(ann, 'ann', 'c03', '0');
  await review(ann, 'ann', 'c05', '0.5', 'Data privacy', 'leaks an address');
  await review(ann, 'ann', 'c07', '1', 'Cybersecurity');
  await review(ann, 'ann', 'c08', '1', 'Crime and illegal activities');
  withStore(ann, (store) => expect(store.reviews.undoLast('ann')?.kind).toBe('undo'));
  await review(ann, 'ann', 'c08', '0.5', 'Crime and illegal activities');
  await review(ann, 'ann', 'c09', '1', 'Cybersecurity');
  for (const [id, risk, category] of [
    ['c01', '0'],
    ['c02', '0'],
    ['c04', '1', 'Extremism'],
    ['c06', '0'],
    ['c07', '1', 'Cybersecurity'],
    ['c08', '1', 'Crime and illegal activities'],
    ['c09', '1', 'Hate speech'],
    ['c10', '0.5', 'Misleading advice'],
  ] as Array<[string, string, string?]>)
    await review(bob, 'bob', id, risk, category);

  expect(
    await ok(
      'decisions',
      'export',
      '--pack',
      path.join(packsDir, 'ann.gtpack'),
      '--out',
      annDecisions,
      '--data-dir',
      ann,
    ),
  ).toMatchObject({ decisions: 7, undos: 1 });
  expect(
    await ok('decisions', 'export', '--pack', bobPack.packId, '--out', bobDecisions, '--data-dir', bob),
  ).toMatchObject({ decisions: 8, undos: 0 });

  expect(await ok('decisions', 'import', annDecisions, '--data-dir', lead)).toMatchObject({
    reviewer: 'ann',
    imported: 8,
    alreadyPresent: 0,
    disputed: 0,
  });
  expect(await ok('decisions', 'import', bobDecisions, '--data-dir', lead)).toMatchObject({
    reviewer: 'bob',
    imported: 8,
    alreadyPresent: 0,
    disputed: 2,
  });
  statsBeforeAdjudication = await ok('stats', '--data-dir', lead);
  disputedBefore = withStore(lead, (store) =>
    store.cases
      .list({ disputed: true })
      .rows.map((r) => r.id)
      .sort(),
  );
  await ok(
    'adjudicate',
    'c08',
    '--risk',
    '1',
    '--category',
    'crime and illegal activities',
    '--note',
    'gives steps',
    '--reviewer',
    'lea',
    '--data-dir',
    lead,
  );
  await ok('adjudicate', 'c09', '--risk', '1', '--category', 'Cybersecurity', '--reviewer', 'lea', '--data-dir', lead);
}, 240_000);

describe('team review across three workstations', () => {
  it('splits round robin with a deterministic 40% overlap: the four case ids that hash lowest go to both', () => {
    const lowest = [...ids]
      .sort((a, b) =>
        createHash('sha256').update(a).digest('hex').localeCompare(createHash('sha256').update(b).digest('hex')),
      )
      .slice(0, 4)
      .sort();
    expect(lowest).toEqual(['c01', 'c07', 'c08', 'c09']);
    const packCases = (pack: PackManifest) =>
      withStore(lead, (store) => [...store.packs.caseDigests(pack.packId).keys()].sort());
    // Round robin in import order: ann c01 c03 c05 c07 c09, bob c02 c04 c06 c08 c10; each shared case also goes
    // to the next reviewer.
    expect(packCases(annPack)).toEqual(['c01', 'c03', 'c05', 'c07', 'c08', 'c09']);
    expect(packCases(bobPack)).toEqual(['c01', 'c02', 'c04', 'c06', 'c07', 'c08', 'c09', 'c10']);
    expect(existsSync(path.join(packsDir, 'ann.gtpack')) && existsSync(path.join(packsDir, 'bob.gtpack'))).toBe(true);
  });

  it('gives the reviewer the cases tagged with the pack, the image by hash and the model verdicts', () => {
    withStore(ann, (store) => {
      expect(
        store.cases
          .list({ pack: annPack.packId })
          .rows.map((r) => r.id)
          .sort(),
      ).toEqual(['c01', 'c03', 'c05', 'c07', 'c08', 'c09']);
      expect(store.cases.list({ pack: 'no-such-pack' }).total).toBe(0);
      const c05 = store.caseDetail('c05');
      const leadImage = withStore(lead, (leadStore) => leadStore.caseDetail('c05').image);
      expect(c05.image).toEqual(leadImage);
      expect(existsSync(store.images.pathFor(c05.image!.sha256))).toBe(true);
      expect(c05.latestAudit).toMatchObject({ status: 'ok', risk: 0.5, modelId: 'model-a' });
      expect(c05.gold).toBeNull();
      expect(store.packs.list()).toMatchObject([{ packId: annPack.packId, role: 'received', cases: 6, decided: 6 }]);
    });
  });

  it('showed two disputes before adjudication, with no decision in force on them', () => {
    expect(disputedBefore).toEqual(['c08', 'c09']);
    expect(statsBeforeAdjudication).toMatchObject({ disputed: 2, reviewed: 8 });
  });

  it('leaves every case with exactly the expected reviews on the lead workstation', () => {
    const reviews = withStore(lead, (store) =>
      store.db
        .prepare<
          [],
          {
            case_id: string;
            kind: string;
            reviewer: string;
            risk: number | null;
            source: string;
            pack_id: string | null;
          }
        >('SELECT case_id, kind, reviewer, risk, source, pack_id FROM reviews ORDER BY case_id, id')
        .all(),
    );
    const A = annPack.packId;
    const B = bobPack.packId;
    const byCase = (id: string) =>
      reviews.filter((r) => r.case_id === id).map((r) => [r.kind, r.reviewer, r.risk, r.source, r.pack_id]);
    expect(byCase('c01')).toEqual([
      ['decision', 'ann', 0, 'pack', A],
      ['decision', 'bob', 0, 'pack', B],
    ]);
    expect(byCase('c02')).toEqual([['decision', 'bob', 0, 'pack', B]]);
    expect(byCase('c03')).toEqual([['decision', 'ann', 0, 'pack', A]]);
    expect(byCase('c05')).toEqual([['decision', 'ann', 0.5, 'pack', A]]);
    expect(byCase('c08')).toEqual([
      ['decision', 'ann', 1, 'pack', A],
      ['undo', 'ann', null, 'pack', A],
      ['decision', 'ann', 0.5, 'pack', A],
      ['decision', 'bob', 1, 'pack', B],
      ['adjudication', 'lea', 1, 'cli', null],
    ]);
    expect(byCase('c09')).toEqual([
      ['decision', 'ann', 1, 'pack', A],
      ['decision', 'bob', 1, 'pack', B],
      ['adjudication', 'lea', 1, 'cli', null],
    ]);
    expect(reviews).toHaveLength(18); // ann's 7 decisions and 1 undo, bob's 8, 2 adjudications
    // Each imported review is in the append-only audit log, with the reviewer's own name and the pack.
    const log = withStore(lead, (store) => store.activityLog.forCase('c05'));
    expect(log.map((entry) => entry.action)).toEqual(['review.import']);
    expect(log[0]).toMatchObject({
      actor: 'ann',
      after: { packId: A, localReviewer: 'ann', note: 'leaks an address' },
    });
  });

  it('puts the adjudication in force and shows every reviewer beside the model in the adjudication view', async () => {
    const view = await ok('stats', '--data-dir', lead);
    expect(view.disputed).toBe(0);
    const detail = withStore(lead, (store) => store.adjudication.view('c08'));
    expect(detail).toMatchObject({
      disputed: false,
      basis: 'adjudication',
      model: { status: 'ok', risk: 1, category: 'Cybersecurity' },
      reviewers: [
        { reviewer: 'ann', risk: 0.5, category: 'Crime and illegal activities' },
        { reviewer: 'bob', risk: 1, category: 'Crime and illegal activities' },
      ],
      adjudication: { reviewer: 'lea', risk: 1, note: 'gives steps' },
    });
    expect(withStore(lead, (store) => store.caseDetail('c09').currentReview)).toMatchObject({
      kind: 'adjudication',
      category: 'Cybersecurity',
    });
  });

  it('computes kappa and alpha equal to the hand-worked values for this fixture', async () => {
    // Shared cases (ann, bob): c01 (0, 0), c07 (1, 1), c08 (0.5, 1), c09 (1, 1).
    // kappa: p_o = 3/4; ann's marginals 0:1/4, 0.5:1/4, 1:2/4, bob's 0:1/4, 1:3/4, so p_e = 1/16 + 6/16 = 7/16;
    //   kappa = (12/16 - 7/16) / (9/16) = 5/9.
    // alpha (ordinal): coincidences o(0,0)=2, o(1,1)=4, o(0.5,1)=o(1,0.5)=1; n_0=2, n_0.5=1, n_1=5, n=8.
    //   d(0,0.5) = (3 - 1.5)^2 = 2.25, d(0.5,1) = (6 - 3)^2 = 9, d(0,1) = (8 - 3.5)^2 = 20.25.
    //   observed 2*9 = 18; expected 2*(2*1*2.25 + 1*5*9 + 2*5*20.25) = 504; alpha = 1 - 7*18/504 = 0.75.
    const stats = await ok('stats', '--data-dir', lead);
    expect(stats.agreement.pairs).toHaveLength(1);
    expect(stats.agreement.pairs[0]).toMatchObject({ a: 'ann', b: 'bob', n: 4 });
    expect(stats.agreement.pairs[0].kappa).toBeCloseTo(5 / 9, 12);
    expect(stats.agreement.alpha).toBeCloseTo(0.75, 12);
    const [annStats, bobStats] = stats.reviewers;
    // ann vs the model: c01 ✓ c03 ✗ c05 ✓ c07 ✓ c08 ✗ c09 ✓; vs adjudication: c08 ✗ c09 ✓.
    expect(annStats).toMatchObject({
      reviewer: 'ann',
      casesDecided: 6,
      agreementWithModel: 4 / 6,
      modelCases: 6,
      agreementWithAdjudication: 0.5,
      adjudicatedCases: 2,
    });
    // bob vs the model: all but c10 (0.5 against 0).
    expect(bobStats).toMatchObject({
      reviewer: 'bob',
      casesDecided: 8,
      agreementWithModel: 7 / 8,
      modelCases: 8,
      agreementWithAdjudication: 1,
      adjudicatedCases: 2,
    });
    expect(annStats.medianSecondsPerDecision).toBeGreaterThanOrEqual(0);
    // Per category (the decision in force's): Crime c08 (0.5, 1): alpha 0; Cybersecurity c07, c09 all 1:
    // undefined (no variation); c01 has no category.
    const team = withStore(lead, (store) => store.team.agreement());
    expect(team.perCategory).toEqual([
      { category: 'Crime and illegal activities', alpha: 0, units: 1 },
      { category: 'Cybersecurity', alpha: null, units: 2 },
      { category: 'none', alpha: null, units: 1 },
    ]);
  });

  it('exports the decision in force and says where it came from', async () => {
    const out = path.join(work, 'final.jsonl');
    await ok('export', '--format', 'jsonl', '--out', out, '--data-dir', lead);
    const rows = readFileSync(out, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    const finals = Object.fromEntries(
      rows.map((row) => [row.id, [row.final.risk, row.final.category, row.final.basis]]),
    );
    expect(finals).toEqual({
      c01: [0, null, 'agreeing_reviewers'],
      c02: [0, null, 'single_reviewer'],
      c03: [0, null, 'single_reviewer'],
      c04: [1, 'Extremism', 'single_reviewer'],
      c05: [0.5, 'Data privacy', 'single_reviewer'],
      c06: [0, null, 'single_reviewer'],
      c07: [1, 'Cybersecurity', 'agreeing_reviewers'],
      c08: [1, 'Crime and illegal activities', 'adjudication'],
      c09: [1, 'Cybersecurity', 'adjudication'],
      c10: [0.5, 'Misleading advice', 'single_reviewer'],
    });
    expect(rows.find((row) => row.id === 'c08').human).toMatchObject({ reviewer: 'lea', basis: 'adjudication' });
    const csv = path.join(work, 'final.csv');
    await ok('export', '--format', 'csv', '--out', csv, '--data-dir', lead);
    expect(readFileSync(csv, 'utf8').split('\n')[0].split(',')).toContain('final_basis');
  });
});

describe('hostile and repeated inputs are refused whole or change nothing', () => {
  it('importing the same decisions file again adds nothing (idempotent)', async () => {
    const before = countRows(lead);
    expect(await ok('decisions', 'import', annDecisions, '--data-dir', lead)).toMatchObject({
      imported: 0,
      alreadyPresent: 8,
    });
    expect(countRows(lead)).toEqual(before);
  });

  it('importing a pack twice is idempotent: nothing is added the second time', async () => {
    const before = countRows(ann);
    expect(await ok('pack', 'import', path.join(packsDir, 'ann.gtpack'), '--data-dir', ann)).toMatchObject({
      alreadyImported: true,
      newCases: 0,
    });
    expect(countRows(ann)).toEqual(before);
  });

  it('refuses a decisions file changed after export', async () => {
    const file = JSON.parse(readFileSync(annDecisions, 'utf8')) as DecisionsFile;
    file.decisions[0].risk = 1;
    const tampered = path.join(work, 'tampered.json');
    writeFileSync(tampered, JSON.stringify(file));
    const before = countRows(lead);
    const result = await cli('decisions', 'import', tampered, '--data-dir', lead);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/tampered\.json was changed after it was exported/);
    expect(countRows(lead)).toEqual(before);
  });

  it('refuses a decisions file for another store, even with a valid checksum', async () => {
    const {
      checksum: _checksum,
      signature: _signature,
      ...body
    } = JSON.parse(readFileSync(bobDecisions, 'utf8')) as DecisionsFile;
    const other = path.join(work, 'other-store.json');
    const bobKey = await loadIdentity(fileKeyStorage(bob));
    writeFileSync(other, JSON.stringify(signedDecisions({ ...body, sourceStoreId: 'f'.repeat(32) }, bobKey)));
    const before = countRows(lead);
    const result = await cli('decisions', 'import', other, '--data-dir', lead);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/of another store \(f{32}\); this workstation is [0-9a-f]{32}/);
    expect(countRows(lead)).toEqual(before);
  });

  it('refuses a file that does not match its pack and imports none of its entries', async () => {
    const {
      checksum: _checksum,
      signature: _signature,
      ...body
    } = JSON.parse(readFileSync(bobDecisions, 'utf8')) as DecisionsFile;
    // Two new, valid entries first, then one on a case that is not in bob's pack: all three must be refused.
    const maxOrigin = Math.max(...body.decisions.map((d) => d.originId));
    const c02 = body.decisions.find((d) => d.caseId === 'c02')!;
    const c03Digest = withStore(lead, (store) => store.packs.digestOf('c03'));
    const decisions = [
      ...body.decisions,
      { ...c02, originId: maxOrigin + 1, risk: 1 as const, category: 'Extremism' as const },
      { ...c02, originId: maxOrigin + 2, risk: 0 as const },
      { ...c02, originId: maxOrigin + 3, caseId: 'c03', caseDigest: c03Digest },
    ];
    const mismatched = path.join(work, 'mismatched.json');
    writeFileSync(
      mismatched,
      JSON.stringify(signedDecisions({ ...body, decisions }, await loadIdentity(fileKeyStorage(bob)))),
    );
    const before = countRows(lead);
    const result = await cli('decisions', 'import', mismatched, '--data-dir', lead);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /decision 11 \(case "c03"\) is not one of pack .*'s cases; the file does not match its pack/,
    );
    expect(countRows(lead)).toEqual(before);
    expect(withStore(lead, (store) => store.caseDetail('c02').currentReview?.risk)).toBe(0);
  });

  it('refuses a truncated pack and adds nothing', async () => {
    const bytes = readFileSync(path.join(packsDir, 'ann.gtpack'));
    const truncated = path.join(work, 'truncated.gtpack');
    writeFileSync(truncated, bytes.subarray(0, Math.floor(bytes.length / 2)));
    const fresh = tempDir('gt-fresh-');
    const result = await cli('pack', 'import', truncated, '--data-dir', fresh);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/truncated\.gtpack is not a complete zip archive .*truncated or damaged/);
    expect(countRows(fresh)).toMatchObject({ cases: 0, packs: 0, log: 0 });
  });

  it('refuses a pack whose manifest names a path outside its folder (zip slip)', async () => {
    const fresh = tempDir('gt-fresh-');
    // A manifest that lists "../outside.txt" among its entries, and an archive that holds it.
    const evilManifest = {
      format: 'guardtrace-pack',
      version: 1,
      packId: '00000000-0000-4000-8000-000000000000',
      sourceStoreId: '0'.repeat(32),
      reviewer: 'ann',
      createdAt: new Date().toISOString(),
      createdBy: 'mallory',
      showModelVerdict: false,
      caseIds: ['x'],
      caseDigests: { x: '0'.repeat(64) },
      entries: { '../outside.txt': createHash('sha256').update('boo').digest('hex') },
    };
    const evil = path.join(work, 'evil.gtpack');
    await writeZip(evil, [
      ['manifest.json', Buffer.from(JSON.stringify(evilManifest))],
      ['aaoutside.txt', Buffer.from('boo')],
    ]);
    const result = await cli('pack', 'import', evil, '--data-dir', fresh);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/unexpected entry "aaoutside\.txt"|names "\.\.\/outside\.txt", a path outside/);

    // The same archive with the entry really named "../utside.txt" (patched in place, same length: names are
    // not covered by the CRC, so only the name checks can catch it).
    const patched = readFileSync(evil);
    const slip = Buffer.from(patched.toString('latin1').split('aaoutside.txt').join('../utside.txt'), 'latin1');
    const slipFile = path.join(work, 'slip.gtpack');
    writeFileSync(slipFile, slip);
    const slipped = await cli('pack', 'import', slipFile, '--data-dir', fresh);
    expect(slipped.code).toBe(1);
    expect(slipped.stderr).toMatch(/a path outside the pack/);
    expect(existsSync(path.join(path.dirname(fresh), 'utside.txt'))).toBe(false);
    expect(countRows(fresh)).toMatchObject({ cases: 0, packs: 0, log: 0 });

    // A manifest naming the outside path with only the manifest in the archive: refused by the manifest check.
    const manifestOnly = path.join(work, 'manifest-only.gtpack');
    await writeZip(manifestOnly, [['manifest.json', Buffer.from(JSON.stringify(evilManifest))]]);
    const byManifest = await cli('pack', 'import', manifestOnly, '--data-dir', fresh);
    expect(byManifest.code).toBe(1);
    expect(byManifest.stderr).toMatch(/the manifest names "\.\.\/outside\.txt", a path outside the pack's own entries/);
  });

  it('refuses, on the lead, a pack it wrote itself (even with its own key enrolled)', async () => {
    const refused = await cli('pack', 'import', path.join(packsDir, 'bob.gtpack'), '--data-dir', lead);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/signed by a key this workspace does not trust/);
    await ok('team', 'trust', path.join(work, 'lea.pub.json'), '--as', 'lea', '--data-dir', lead);
    const result = await cli('pack', 'import', path.join(packsDir, 'bob.gtpack'), '--data-dir', lead);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/was written by this workstation/);
  });
});

function writeZip(file: string, entries: Array<[string, Buffer]>): Promise<void> {
  const zip = new yazl.ZipFile();
  for (const [name, data] of entries) zip.addBuffer(data, name);
  zip.end();
  return new Promise((resolve, reject) => {
    zip.outputStream.pipe(createWriteStream(file)).on('close', resolve).on('error', reject);
  });
}
