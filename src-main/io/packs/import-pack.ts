import type { VerdictProvenance } from '@domain/verdict-provenance';
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import type { AuditResult } from '../../engine/engine';
import type { PackImportSummary, PackManifest } from '@domain/team';
import { caseDigest, type NewCase, type Store } from '../../store/contract';
import { MAX_IMAGE_FILE_BYTES, inspectImage } from '../import/image-intake';
import type { ImageRef } from '@domain/cases';
import { IoError } from '../io-error';
import { readArchive } from './archive';
import {
  CASES_ENTRY,
  MANIFEST_ENTRY,
  VERDICTS_ENTRY,
  firstIssue,
  imageEntryName,
  isPackEntryName,
  manifestSchema,
  packCaseSchema,
  packVerdictSchema,
  sha256,
  type PackCaseRecord,
  type PackVerdictRecord,
} from './pack-format';

/**
 * A pack is read whole into memory before anything is written (so it can be checked whole): these caps keep a
 * hostile archive from exhausting memory. yauzl's validateEntrySizes holds every entry to its declared size.
 * 1 GiB is thousands of cases with images; split bigger assignments into several packs.
 */
const LIMITS = {
  maxEntries: 200_000,
  maxEntryBytes: 512 * 1024 * 1024,
  maxTotalBytes: 1024 * 1024 * 1024,
  allowedName: isPackEntryName,
};

export interface VerifiedPack {
  manifest: PackManifest;
  manifestSha256: string;
  cases: PackCaseRecord[];
  verdicts: PackVerdictRecord[];
  images: Map<string, Buffer>;
}

/**
 * Reads a pack and checks all of it before anything is used: the entry names, the manifest, the sha256 of every
 * entry against the manifest, that the entries are exactly the ones the manifest lists, and that the cases are
 * the manifest's cases with the manifest's digests. Throws an IoError naming the file and the problem.
 */
export async function readPack(file: string): Promise<VerifiedPack> {
  const label = path.basename(file);
  if (!existsSync(file) || !statSync(file).isFile())
    throw new IoError('usage', `${file} does not exist or is not a file; give the path of a .gtpack file.`);
  const entries = await readArchive(file, LIMITS);
  const manifestBytes = entries.get(MANIFEST_ENTRY);
  if (!manifestBytes)
    throw new IoError('invalid_file', `${label} has no ${MANIFEST_ENTRY}; it is not a GuardTrace pack.`);
  let manifestJson: unknown;
  try {
    manifestJson = JSON.parse(manifestBytes.toString('utf8'));
  } catch (error) {
    throw new IoError('invalid_file', `${label}: ${MANIFEST_ENTRY} is not valid JSON (${(error as Error).message}).`);
  }
  const parsed = manifestSchema.safeParse(manifestJson);
  if (!parsed.success)
    throw new IoError(
      'invalid_file',
      `${label}: ${MANIFEST_ENTRY} is not a valid pack manifest (${firstIssue(parsed.error)}).`,
    );
  const manifest = parsed.data as PackManifest;
  // The manifest decides what may be read; a name outside the pack's own entries is refused even if unused.
  for (const name of Object.keys(manifest.entries)) {
    if (!isPackEntryName(name) || name === MANIFEST_ENTRY)
      throw new IoError(
        'invalid_file',
        `${label}: the manifest names "${name}", a path outside the pack's own entries; the pack was refused.`,
      );
  }
  for (const [name, data] of entries) {
    if (name === MANIFEST_ENTRY) continue;
    const expected = manifest.entries[name];
    if (expected === undefined)
      throw new IoError(
        'invalid_file',
        `${label}: entry "${name}" is not listed in the manifest; the pack was refused.`,
      );
    if (sha256(data) !== expected)
      throw new IoError(
        'invalid_file',
        `${label}: entry "${name}" does not match the sha256 in the manifest; the pack was changed or damaged after it was written.`,
      );
  }
  for (const name of Object.keys(manifest.entries)) {
    if (!entries.has(name))
      throw new IoError(
        'invalid_file',
        `${label}: entry "${name}" listed in the manifest is missing; the pack is incomplete.`,
      );
  }
  const cases = jsonLines(entries.get(CASES_ENTRY), label, CASES_ENTRY).map((value, index) => {
    const record = packCaseSchema.safeParse(value);
    if (!record.success)
      throw new IoError('invalid_file', `${label}: ${CASES_ENTRY} line ${index + 1}: ${firstIssue(record.error)}.`);
    return record.data;
  });
  if (cases.length !== manifest.caseIds.length || cases.some((c, i) => c.id !== manifest.caseIds[i]))
    throw new IoError('invalid_file', `${label}: ${CASES_ENTRY} does not hold exactly the manifest's cases.`);
  const images = new Map<string, Buffer>();
  for (const record of cases) {
    const digest = caseDigest(record);
    if (manifest.caseDigests[record.id] !== digest)
      throw new IoError('invalid_file', `${label}: case "${record.id}" does not match its digest in the manifest.`);
    if (record.imageSha256) {
      const bytes = entries.get(imageEntryName(record.imageSha256));
      if (!bytes)
        throw new IoError(
          'invalid_file',
          `${label}: the image of case "${record.id}" (${record.imageSha256}) is not in the pack.`,
        );
      images.set(record.imageSha256, bytes);
    }
  }
  const verdicts = entries.has(VERDICTS_ENTRY)
    ? jsonLines(entries.get(VERDICTS_ENTRY), label, VERDICTS_ENTRY).map((value, index) => {
        const record = packVerdictSchema.safeParse(value);
        if (!record.success)
          throw new IoError(
            'invalid_file',
            `${label}: ${VERDICTS_ENTRY} line ${index + 1}: ${firstIssue(record.error)}.`,
          );
        if (!(record.data.caseId in manifest.caseDigests))
          throw new IoError(
            'invalid_file',
            `${label}: ${VERDICTS_ENTRY} line ${index + 1} is for a case not in the pack.`,
          );
        return record.data;
      })
    : [];
  if (!manifest.showModelVerdict && verdicts.length)
    throw new IoError('invalid_file', `${label}: a blind pack (model verdict hidden) must not carry verdicts.`);
  return { manifest, manifestSha256: sha256(manifestBytes), cases, verdicts, images };
}

function jsonLines(data: Buffer | undefined, label: string, entry: string): unknown[] {
  if (!data) throw new IoError('invalid_file', `${label} has no ${entry}; it is not a complete GuardTrace pack.`);
  return data
    .toString('utf8')
    .split('\n')
    .filter((line) => line.trim())
    .map((line, index) => {
      try {
        return JSON.parse(line) as unknown;
      } catch (error) {
        throw new IoError(
          'invalid_file',
          `${label}: ${entry} line ${index + 1} is not valid JSON (${(error as Error).message}).`,
        );
      }
    });
}

/**
 * Reviewer side: adds the pack's cases (tagged with the pack), images and, when the reviewer may see them, model
 * verdicts, in one transaction. Importing the same pack again adds nothing (alreadyImported); a different file
 * under an id already imported, a pack this workstation wrote itself, or a case whose content differs from the
 * one already here, are refused before anything is written.
 */
export async function importPack(store: Store, file: string, actor?: string): Promise<PackImportSummary> {
  const pack = await readPack(file);
  const { manifest } = pack;
  const label = path.basename(file);
  const summary: PackImportSummary = {
    packId: manifest.packId,
    reviewer: manifest.reviewer,
    file: path.resolve(file),
    cases: manifest.caseIds.length,
    newCases: 0,
    images: pack.images.size,
    verdicts: pack.verdicts.length,
    alreadyImported: false,
  };
  if (manifest.sourceStoreId === (await store.packs.storeId()))
    throw new IoError(
      'usage',
      `${label} was written by this workstation (store ${manifest.sourceStoreId}); import it on the reviewer's workstation.`,
    );
  const knownSha = await store.packs.manifestSha256(manifest.packId);
  if (knownSha !== null) {
    if (knownSha !== pack.manifestSha256)
      throw new IoError(
        'invalid_file',
        `${label}: a different pack with the id ${manifest.packId} was imported before; the file was refused.`,
      );
    return { ...summary, newCases: 0, alreadyImported: true };
  }
  for (const record of pack.cases) {
    if (
      (await store.cases.exists(record.id)) &&
      (await store.packs.digestOf(record.id)) !== manifest.caseDigests[record.id]
    )
      throw new IoError(
        'invalid_file',
        `${label}: case "${record.id}" already exists here with different content; the pack was refused.`,
      );
  }
  const imageRefs = new Map<string, ImageRef>();
  for (const [sha, bytes] of pack.images) {
    if (bytes.length > MAX_IMAGE_FILE_BYTES)
      throw new IoError('invalid_file', `${label}: image ${sha} is larger than ${MAX_IMAGE_FILE_BYTES} bytes.`);
    const check = await inspectImage(bytes, `${label}: image ${sha}`);
    if (!check.ok) throw new IoError('invalid_file', `${check.reason}; the pack was refused.`);
    imageRefs.set(sha, check.image);
  }
  // Image files first (durable, content-addressed: a crash leaves at most an unreferenced file), then one transaction.
  for (const bytes of pack.images.values()) await store.images.put(bytes);
  const cases: NewCase[] = pack.cases.map((record, index) => ({
    id: record.id,
    query: record.query,
    thinking: record.thinking,
    response: record.response,
    imageSha256: record.imageSha256,
    imageRef: record.imageRef,
    imageMissing: record.imageMissing,
    gold: null,
    sourceFile: label,
    sourceRecord: index + 1,
    meta: record.meta,
  }));
  const { newCases } = await store.packs.recordReceived({
    manifest,
    fileName: label,
    manifestSha256: pack.manifestSha256,
    cases,
    images: [...imageRefs.values()],
    verdicts: pack.verdicts.map((verdict) => ({ caseId: verdict.caseId, result: toAuditResult(verdict) })),
    logDetails: {
      packId: manifest.packId,
      reviewer: manifest.reviewer,
      sourceStoreId: manifest.sourceStoreId,
      file: summary.file,
      cases: summary.cases,
      verdicts: summary.verdicts,
    },
    actor,
  });
  summary.newCases = newCases;
  return summary;
}

function toAuditResult(verdict: PackVerdictRecord): AuditResult {
  return {
    profileId: verdict.profileId,
    rawOutput: verdict.rawOutput,
    verdict:
      verdict.status === 'ok' && verdict.risk !== null
        ? { status: 'ok', risk: verdict.risk, category: verdict.category, analysis: verdict.analysis ?? '' }
        : {
            status: verdict.status === 'truncated' ? 'truncated' : 'parse_failure',
            error: verdict.parseError ?? 'no verdict',
            category: verdict.category,
            analysis: verdict.analysis,
          },
    levelProbs: verdict.levelProbs,
    levelProbsNote: verdict.levelProbsNote,
    provenance: verdict.provenance as VerdictProvenance | null,
    imageMissing: verdict.imageMissing,
    engine: verdict.engine as AuditResult['engine'],
    modelId: verdict.modelId,
    promptSha256: verdict.promptSha256,
    promptHashOk: verdict.promptHashOk,
    strictFormat: verdict.strictFormat,
    // Token counts and timings belong to the lead's machine; they are not carried in the pack.
    promptTokens: 0,
    cachedPromptTokens: 0,
    generatedTokens: 0,
    timings: { promptMs: 0, generateMs: 0, totalMs: 0 },
  };
}
