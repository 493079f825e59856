import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import {
  DEFAULT_OVERLAP,
  PACK_EXTENSION,
  PACK_FORMAT,
  REVIEWER_NAME,
  TEAM_FORMAT_VERSION,
  type PackCreateRequest,
  type PackCreateSummary,
  type PackManifest,
  type PackSplit,
} from '@domain/team';
import type { Store } from '../../store/contract';
import { IoError } from '../io-error';
import { signDigest, type Signer } from '../identity/signing';
import { writeArchive, type ArchiveEntry } from './archive';
import { withGoldInterleaved } from './gold-interleave';
import {
  CASES_ENTRY,
  MANIFEST_ENTRY,
  SIGNATURE_ENTRY,
  VERDICTS_ENTRY,
  imageEntryName,
  sha256,
  type PackCaseRecord,
  type PackVerdictRecord,
} from './pack-format';

interface SelectedCase {
  id: string;
  category: string;
}

/**
 * Who reviews which case. Deterministic: the same cases, reviewers, split and overlap always give the same
 * assignment. The double-reviewed share is exact (round(overlap × cases)): the cases whose id hashes lowest,
 * so the choice does not depend on import order. Each of those goes to its first reviewer and the next one
 * in the list.
 */
export function assignCases(
  cases: readonly SelectedCase[],
  reviewers: readonly string[],
  split: PackSplit,
  overlap: number,
): { assignment: Map<string, string[]>; doubled: Set<string> } {
  const count = reviewers.length;
  const first = new Map<string, number>();
  if (split === 'round_robin') {
    cases.forEach((c, i) => first.set(c.id, i % count));
  } else {
    // Whole categories per reviewer, largest first to the least loaded reviewer (ties: list order).
    const groups = new Map<string, string[]>();
    for (const c of cases) groups.set(c.category, [...(groups.get(c.category) ?? []), c.id]);
    const ordered = [...groups.entries()].sort((a, b) => b[1].length - a[1].length || a[0].localeCompare(b[0]));
    const load = reviewers.map(() => 0);
    for (const [, ids] of ordered) {
      const target = load.indexOf(Math.min(...load));
      for (const id of ids) first.set(id, target);
      load[target] += ids.length;
    }
  }
  const doubleCount = count > 1 ? Math.round(overlap * cases.length) : 0;
  const doubled = new Set(
    [...cases]
      .map((c) => ({ id: c.id, key: sha256(c.id) }))
      .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
      .slice(0, doubleCount)
      .map((c) => c.id),
  );
  const assignment = new Map<string, string[]>(reviewers.map((r) => [r, []]));
  for (const c of cases) {
    const index = first.get(c.id)!;
    assignment.get(reviewers[index])!.push(c.id);
    if (doubled.has(c.id)) assignment.get(reviewers[(index + 1) % count])!.push(c.id);
  }
  return { assignment, doubled };
}

export function validatePackRequest(request: PackCreateRequest): { overlap: number; split: PackSplit } {
  const reviewers = request.reviewers ?? [];
  if (!reviewers.length) throw new IoError('usage', 'Name at least one reviewer (--reviewers a,b,c).');
  for (const reviewer of reviewers) {
    if (!REVIEWER_NAME.test(reviewer))
      throw new IoError(
        'usage',
        `Reviewer name "${reviewer}" cannot be a file name: use letters, digits, ".", "-" or "_" (up to 64).`,
      );
  }
  if (new Set(reviewers.map((r) => r.toLowerCase())).size !== reviewers.length)
    throw new IoError('usage', `Each reviewer may be named once (got ${reviewers.join(', ')}).`);
  const overlap = request.overlap ?? DEFAULT_OVERLAP;
  if (!Number.isFinite(overlap) || overlap < 0 || overlap > 1)
    throw new IoError('usage', `--overlap must be a share between 0 and 1, e.g. 0.1 for 10% (got ${overlap}).`);
  if (overlap > 0 && reviewers.length < 2 && request.overlap !== undefined)
    throw new IoError('usage', 'Double review (--overlap above 0) needs at least two reviewers.');
  const split = request.split ?? 'round_robin';
  if (split !== 'round_robin' && split !== 'category')
    throw new IoError('usage', `Unknown split "${String(split)}": use round_robin or category.`);
  if (!request.outDir) throw new IoError('usage', 'No output folder given (--out DIR).');
  return { overlap, split };
}

/** Lead side: splits the selected cases among the reviewers and writes DIR/<reviewer>.gtpack for each. */
export async function createPacks(
  store: Store,
  request: PackCreateRequest & {
    createdBy: string;
    /** Share of gold mixed into each pack (Settings.goldRate). */ goldRate?: number;
    /** The lead's workspace key: every pack is signed with it (reviewers enrol its public key). */
    signer: Signer;
  },
): Promise<PackCreateSummary> {
  const { overlap, split } = validatePackRequest(request);
  const selected = await store.packs.selectCases({ caseIds: request.caseIds, filter: request.filter });
  if (!selected.length) throw new IoError('usage', 'No case matches the selection; nothing to send.');
  const outDir = path.resolve(request.outDir);
  mkdirSync(outDir, { recursive: true, mode: 0o700 });
  for (const reviewer of request.reviewers) {
    const file = path.join(outDir, `${reviewer}${PACK_EXTENSION}`);
    if (existsSync(file))
      throw new IoError('usage', `${file} exists already; choose an empty --out folder (packs are never overwritten).`);
  }
  const { assignment, doubled } = assignCases(selected, request.reviewers, split, overlap);
  const storeId = await store.packs.storeId();
  const showModel = request.showModelVerdict ?? true;
  const createdAt = new Date().toISOString();
  const built: Array<{ manifest: PackManifest; file: string; entries: ArchiveEntry[]; images: number }> = [];
  for (const reviewer of request.reviewers) {
    const assigned = assignment.get(reviewer)!;
    if (!assigned.length) continue;
    const caseIds = await withGoldInterleaved(store, reviewer, assigned, request.goldRate ?? 0, createdAt);
    built.push({
      ...(await buildPack(store, {
        reviewer,
        caseIds,
        storeId,
        showModel,
        createdAt,
        createdBy: request.createdBy,
        signer: request.signer,
      })),
      file: path.join(outDir, `${reviewer}${PACK_EXTENSION}`),
    });
  }
  for (const pack of built) await writeArchive(pack.file, pack.entries);
  // Recorded only once every file is complete; a failed write above leaves neither files nor records behind.
  await store.packs.recordIssued(
    built.map((pack) => ({
      manifest: pack.manifest,
      file: pack.file,
      manifestSha256: sha256(pack.entries.find((e) => e.name === MANIFEST_ENTRY)!.data),
    })),
    request.createdBy,
  );
  return {
    selected: selected.length,
    doubleReviewed: doubled.size,
    packs: built.map((pack) => ({
      packId: pack.manifest.packId,
      reviewer: pack.manifest.reviewer,
      file: pack.file,
      cases: pack.manifest.caseIds.length,
      overlapCases: pack.manifest.caseIds.filter((id) => doubled.has(id)).length,
      images: pack.images,
    })),
  };
}

async function buildPack(
  store: Store,
  pack: {
    reviewer: string;
    caseIds: string[];
    storeId: string;
    showModel: boolean;
    createdAt: string;
    createdBy: string;
    signer: Signer;
  },
): Promise<{ manifest: PackManifest; entries: ArchiveEntry[]; images: number }> {
  const cases: PackCaseRecord[] = [];
  const verdicts: PackVerdictRecord[] = [];
  const caseDigests: Record<string, string> = {};
  const images = new Map<string, Buffer>();
  for (const id of pack.caseIds) {
    const stored = await store.packs.packCase(id);
    caseDigests[id] = stored.digest;
    cases.push({
      id,
      query: stored.query,
      thinking: stored.thinking,
      response: stored.response,
      imageSha256: stored.imageSha256,
      imageRef: stored.imageRef,
      imageMissing: stored.imageMissing,
      meta: stored.meta,
    });
    if (stored.imageSha256 && !images.has(stored.imageSha256)) {
      const file = store.images.localPath(stored.imageSha256);
      try {
        images.set(stored.imageSha256, readFileSync(file));
      } catch {
        throw new IoError(
          'io',
          `Image ${stored.imageSha256} of case ${id} is missing from ${file}; the data directory is damaged. Re-import the case's source file to restore it.`,
        );
      }
    }
    const audit = pack.showModel ? await store.verdicts.latest(id) : null;
    if (audit) {
      verdicts.push({
        caseId: id,
        engine: audit.engine,
        modelId: audit.modelId,
        promptSha256: audit.promptSha256,
        promptHashOk: audit.promptHashOk,
        status: audit.status,
        profileId: audit.profileId,
        risk: audit.risk,
        levelProbs: audit.levelProbs,
        levelProbsNote: audit.levelProbsNote,
        provenance: audit.provenance as Record<string, unknown> | null,
        category: audit.category,
        analysis: audit.analysis,
        parseError: audit.parseError,
        rawOutput: audit.rawOutput,
        imageMissing: audit.imageMissing,
        strictFormat: audit.strictFormat,
      });
    }
  }
  const entries: ArchiveEntry[] = [
    { name: CASES_ENTRY, data: Buffer.from(cases.map((c) => JSON.stringify(c)).join('\n') + '\n'), compress: true },
  ];
  if (pack.showModel)
    entries.push({
      name: VERDICTS_ENTRY,
      data: Buffer.from(
        verdicts.map((v) => JSON.stringify(v)).join(verdicts.length ? '\n' : '') + (verdicts.length ? '\n' : ''),
      ),
      compress: true,
    });
  for (const [sha, data] of images) entries.push({ name: imageEntryName(sha), data, compress: false });
  const manifest: PackManifest = {
    format: PACK_FORMAT,
    version: TEAM_FORMAT_VERSION,
    packId: randomUUID(),
    sourceStoreId: pack.storeId,
    reviewer: pack.reviewer,
    createdAt: pack.createdAt,
    createdBy: pack.createdBy,
    showModelVerdict: pack.showModel,
    caseIds: pack.caseIds,
    caseDigests,
    entries: Object.fromEntries(entries.map((e) => [e.name, sha256(e.data)])),
  };
  const manifestData = Buffer.from(JSON.stringify(manifest, null, 2) + '\n');
  // The signature covers the manifest's sha256, and through the manifest's hashes every other entry.
  const signature = signDigest(pack.signer, 'pack', sha256(manifestData));
  entries.unshift(
    { name: MANIFEST_ENTRY, data: manifestData, compress: true },
    { name: SIGNATURE_ENTRY, data: Buffer.from(JSON.stringify(signature, null, 2) + '\n'), compress: false },
  );
  return { manifest, entries, images: images.size };
}
