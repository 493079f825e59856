import type { VerdictProvenance } from '@domain/verdict-provenance';
import path from 'node:path';
import type { AuditResult } from '../../engine/engine';
import type { PackImportSummary } from '@domain/team';
import type { NewCase, Store } from '../../store/contract';
import { MAX_IMAGE_FILE_BYTES, inspectImage } from '../import/image-intake';
import type { ImageRef } from '@domain/cases';
import { IoError } from '../io-error';
import { unknownSigner } from './read-pack';
import { readPackOffThread } from './team-file-reader';
import type { PackVerdictRecord } from './pack-format';

export { readPack, type VerifiedPack } from './read-pack';

/**
 * Reviewer side: adds the pack's cases (tagged with the pack), images and, when the reviewer may see them, model
 * verdicts, in one transaction. Importing the same pack again adds nothing (alreadyImported); a different file
 * under an id already imported, a pack this workstation wrote itself, or a case whose content differs from the
 * one already here, are refused before anything is written.
 */
export async function importPack(store: Store, file: string, actor?: string): Promise<PackImportSummary> {
  const label = path.basename(file);
  // Only a pack signed by an enrolled key is read past its signature (the reader thread refuses any other).
  const trusted = await store.packs.trustedKeys();
  const pack = await readPackOffThread(
    file,
    trusted.map((key) => key.publicKey),
  );
  const signedBy = trusted.find((key) => key.publicKey === pack.signer.publicKey);
  if (!signedBy) throw unknownSigner(label, pack.signer.fingerprint, 'pack');
  const { manifest } = pack;
  const summary: PackImportSummary = {
    packId: manifest.packId,
    reviewer: manifest.reviewer,
    file: path.resolve(file),
    cases: manifest.caseIds.length,
    newCases: 0,
    images: pack.images.size,
    verdicts: pack.verdicts.length,
    alreadyImported: false,
    signedBy: { name: signedBy.name, fingerprint: signedBy.fingerprint },
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
      signedBy: signedBy.name,
      signerFingerprint: signedBy.fingerprint,
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
