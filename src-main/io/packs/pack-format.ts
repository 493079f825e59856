import { createHash } from 'node:crypto';
import { z } from 'zod';
import { DECISIONS_FORMAT, PACK_FORMAT, REVIEWER_NAME, type DecisionsFile, type DecisionsFileBody } from '@domain/team';
import { CATEGORIES } from '@domain/types';
import { signatureSchema } from '../identity/signing';

// What is inside a `.gtpack` archive and a decisions file, and the schemas both sides validate them with.
//
//   manifest.json        PackManifest: pack id, source store id, reviewer, case ids and digests, sha256 per entry
//   signature.json       the lead's Ed25519 signature over the manifest's sha256 (io/identity/signing.ts); right
//                        after the manifest, so an unsigned or unknown-key pack is refused before its cases are read
//   cases.jsonl          one PackCaseRecord per line, in the manifest's case order
//   verdicts.jsonl       the model verdicts (only when the reviewer may see them: a blind pack leaves them out,
//                        so they cannot be read by unzipping either)
//   images/<sha256>      image bytes, named by their content hash

export const MANIFEST_ENTRY = 'manifest.json';
export const CASES_ENTRY = 'cases.jsonl';
export const VERDICTS_ENTRY = 'verdicts.jsonl';
export const SIGNATURE_ENTRY = 'signature.json';
const IMAGE_ENTRY = /^images\/[0-9a-f]{64}$/;

export const IMAGE_ENTRY_PREFIX = 'images/';
export const imageEntryName = (sha256: string) => `${IMAGE_ENTRY_PREFIX}${sha256}`;
export const isImageEntryName = (name: string) => IMAGE_ENTRY.test(name);

/** The only names a pack may contain. */
export function isPackEntryName(name: string): boolean {
  return (
    name === MANIFEST_ENTRY ||
    name === SIGNATURE_ENTRY ||
    name === CASES_ENTRY ||
    name === VERDICTS_ENTRY ||
    IMAGE_ENTRY.test(name)
  );
}

export const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');

const hex64 = z.string().regex(/^[0-9a-f]{64}$/, 'a sha256 in lowercase hex');
const risk = z.union([z.literal(0), z.literal(0.5), z.literal(1)]);
const category = z.enum(CATEGORIES).nullable();
const reviewerName = z.string().regex(REVIEWER_NAME, 'letters, digits, ".", "-" or "_"');

export const manifestSchema = z.strictObject({
  format: z.literal(PACK_FORMAT),
  version: z.literal(1),
  packId: z.string().regex(/^[0-9a-f-]{36}$/, 'a UUID'),
  sourceStoreId: z.string().regex(/^[0-9a-f]{32}$/, 'a store id'),
  reviewer: reviewerName,
  createdAt: z.string().min(1),
  createdBy: z.string(),
  showModelVerdict: z.boolean(),
  caseIds: z.array(z.string().min(1)).min(1),
  caseDigests: z.record(z.string(), hex64),
  entries: z.record(z.string(), hex64),
});

export const packCaseSchema = z.strictObject({
  id: z.string().min(1),
  query: z.string(),
  thinking: z.string(),
  response: z.string(),
  imageSha256: hex64.nullable(),
  imageRef: z.string().nullable(),
  imageMissing: z.boolean(),
  meta: z.record(z.string(), z.unknown()),
});
export type PackCaseRecord = z.infer<typeof packCaseSchema>;

export const packVerdictSchema = z.strictObject({
  caseId: z.string().min(1),
  engine: z.string().min(1),
  modelId: z.string().min(1),
  promptSha256: z.string().min(1),
  promptHashOk: z.boolean(),
  status: z.enum(['ok', 'parse_failure', 'truncated']),
  profileId: z.string().min(1),
  risk: risk.nullable(),
  levelProbs: z.record(z.string(), z.number()).nullable(),
  levelProbsNote: z.string().nullable(),
  /** The lead's record of how the verdict was made (VerdictProvenance), carried as it is. */
  provenance: z.record(z.string(), z.unknown()).nullable(),
  category,
  analysis: z.string().nullable(),
  parseError: z.string().nullable(),
  rawOutput: z.string(),
  imageMissing: z.boolean(),
  strictFormat: z.boolean(),
});
export type PackVerdictRecord = z.infer<typeof packVerdictSchema>;

const decisionSchema = z.strictObject({
  originId: z.number().int().positive(),
  kind: z.enum(['decision', 'undo']),
  caseId: z.string().min(1),
  caseDigest: hex64,
  risk: risk.nullable(),
  category,
  analysis: z.string().nullable(),
  note: z.string().nullable(),
  localReviewer: z.string(),
  at: z.string().refine((at) => !Number.isNaN(Date.parse(at)), 'an ISO time'),
  undoesOriginId: z.number().int().positive().nullable(),
});

export const decisionsFileSchema = z.strictObject({
  format: z.literal(DECISIONS_FORMAT),
  version: z.literal(1),
  packId: z.string().min(1),
  sourceStoreId: z.string().min(1),
  reviewerStoreId: z.string().min(1),
  reviewer: reviewerName,
  exportedAt: z.string().min(1),
  decisions: z.array(
    decisionSchema.refine(
      (d) => (d.kind === 'decision' ? d.risk !== null && d.undoesOriginId === null : d.undoesOriginId !== null),
      'a decision needs a risk; an undo needs undoesOriginId',
    ),
  ),
  checksum: hex64,
  /** The reviewer's signature over the checksum; optional here so that its absence is refused by name. */
  signature: signatureSchema.optional(),
});

/** The body in one fixed key order: the checksum is the sha256 of exactly this JSON text. */
export function canonicalDecisionsBody(file: DecisionsFileBody): DecisionsFileBody {
  return {
    format: file.format,
    version: file.version,
    packId: file.packId,
    sourceStoreId: file.sourceStoreId,
    reviewerStoreId: file.reviewerStoreId,
    reviewer: file.reviewer,
    exportedAt: file.exportedAt,
    decisions: file.decisions.map((d) => ({
      originId: d.originId,
      kind: d.kind,
      caseId: d.caseId,
      caseDigest: d.caseDigest,
      risk: d.risk,
      category: d.category,
      analysis: d.analysis,
      note: d.note,
      localReviewer: d.localReviewer,
      at: d.at,
      undoesOriginId: d.undoesOriginId,
    })),
  };
}

export function decisionsChecksum(body: DecisionsFileBody): string {
  return sha256(JSON.stringify(canonicalDecisionsBody(body)));
}

export function withChecksum(body: DecisionsFileBody): DecisionsFile {
  const canonical = canonicalDecisionsBody(body);
  return { ...canonical, checksum: decisionsChecksum(canonical) };
}

/** First problem of a zod result, as "field: reason". */
export function firstIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  const where = issue.path.length ? issue.path.join('.') : 'the file';
  return `${where}: ${issue.message}`;
}
