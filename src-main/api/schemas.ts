// Runtime schemas for every channel's argument. The types in contract.ts vanish at run time, and the renderer
// is a trust boundary (its whole input is hostile text), so the handler map checks each argument here before any
// handler runs: a wrong shape becomes an ApiError('invalid') naming the field, never a raw SQLite or TypeError.
// Field-level rules that need the store or the disk (does the case exist, is the folder valid) stay in the core.
import { z } from 'zod';
import { CASE_STATUS_FILTERS, QUEUE_SORTS } from '@domain/cases';
import { ENGINE_SELECTIONS } from '@domain/engine';
import { RECIPE_FILTERS } from '@domain/fidelity';
import { PACK_SPLITS } from '@domain/team';
import { EXPORT_FORMATS, EXPORT_SELECTIONS, IMPORT_FORMATS } from '@domain/io';
import { REVIEW_SOURCES } from '@domain/reviews';
import { BLUR_STRENGTHS } from '@domain/exposure';
import { GOLD_SOURCES } from '@domain/gold';
import { THEMES } from '@domain/settings';
import { STEP_MARK_ACTIONS } from '@domain/step-localization';
import { MMPROJ_OUTPUT_TYPES, MODEL_OUTPUT_TYPES } from '@domain/model-convert';
import type { Channel } from './contract';
import { ApiError } from './errors';

const text = (max: number) => z.string().max(max);
const id = text(512).min(1);
/** Risk levels are numbers; which values a profile allows is the store's and the profile's check. */
const risk = z.number().finite();
const category = text(200);
const path = text(4096).min(1);
const nothing = z.undefined().or(z.null());
// Objects are loose: the fields named here are checked, unknown ones pass through untouched, so a field another
// change adds to the contract keeps working until its rule is added here. settings.set is strict, because the
// settings store would keep any key it is given. Every enum is the domain's own `as const` list, so a value added
// there (a sort, a status filter, a format) is accepted here without a second edit.
const record = z.looseObject;

const queueFilter = record({
  status: z.enum(CASE_STATUS_FILTERS).optional(),
  modelRisk: risk.optional(),
  humanRisk: risk.optional(),
  gold: risk.optional(),
  category: category.optional(),
  search: text(1000).optional(),
  pack: id.optional(),
  disputed: z.boolean().optional(),
  needsRationale: z.boolean().optional(),
});
const queueQuery = queueFilter.extend({
  sort: z.enum(QUEUE_SORTS).optional(),
  offset: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).optional(),
  limit: z.number().int().min(1).max(10_000).optional(),
});

/** A human decision (a review or an adjudication); which sources each channel takes is added per channel. */
const decision = record({
  caseId: id,
  risk,
  category: category.nullable().optional(),
  analysis: text(100_000).nullable().optional(),
  note: text(100_000).nullable().optional(),
  reviewer: text(200).min(1),
});

const engineSelection = z.enum(ENGINE_SELECTIONS);
const openAiServer = record({
  baseUrl: text(2048).min(1),
  model: text(512).min(1),
  /** Which environment variable holds the key: the CLI only (renderer-policy.ts refuses it from the window). */
  apiKeyEnv: text(256)
    .regex(/^[A-Za-z_][A-Za-z0-9_]*$/)
    .optional(),
  allowInsecureRemote: z.boolean().optional(),
});

export const CHANNEL_SCHEMAS = {
  'cases.list': queueQuery.optional(),
  'cases.counts': queueFilter.optional(),
  'cases.get': record({ id }),
  'cases.neighbors': queueQuery.extend({ id }),
  'cases.reveal': record({ id, choice: risk }),
  'reviews.submit': decision.extend({
    source: z.enum(REVIEW_SOURCES).optional(),
    reviewer: text(200).min(1).optional(),
  }),
  'reviews.undoLast': record({ reviewer: text(200).min(1) }),
  'reviews.bulkAccept': record({ caseIds: z.array(id).max(100_000), reviewer: text(200).min(1) }),
  'import.run': record({
    file: path,
    format: z.enum(IMPORT_FORMATS).optional(),
    imagesDir: path.optional(),
    actor: text(200).optional(),
    asReferenceEval: z.boolean().optional(),
  }),
  'export.run': record({
    format: z.enum(EXPORT_FORMATS),
    out: path,
    only: z.enum(EXPORT_SELECTIONS).optional(),
    withImages: z.boolean().optional(),
    promptFile: path.optional(),
  }),
  'stats.get': nothing,
  'metrics.get': record({ recipe: z.enum(RECIPE_FILTERS).optional() }).or(nothing),
  'engine.check': record({ modelDir: path }),
  'engine.load': record({
    modelDir: path.optional(),
    engine: engineSelection.optional(),
    acceptPromptMismatch: z.boolean().optional(),
    /** A guard-model profile id; whether it exists is engine/profiles' check (it names the known ones). */
    profile: id.optional(),
    parallel: z.number().int().min(1).max(64).optional(),
    openai: openAiServer.optional(),
  }),
  'engine.unload': nothing,
  'engine.state': nothing,
  'audit.start': record({
    caseIds: z.array(id).max(1_000_000).optional(),
    limit: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER).optional(),
    parallel: z.number().int().min(1).max(64).optional(),
    strictFormat: z.boolean().optional(),
    maxNewTokens: z.number().int().min(1).max(32_768).optional(),
  }),
  'audit.pause': nothing,
  'audit.resume': nothing,
  'audit.cancel': nothing,
  'audit.status': nothing,
  'audit.prioritize': record({ caseId: id.nullable() }),
  'settings.get': nothing,
  // The values themselves are checked by validateSettingsPatch (ranges, URL); here only the shape.
  'settings.set': z.strictObject({
    reviewer: text(200).optional(),
    blurImages: z.boolean().optional(),
    grayscaleImages: z.boolean().optional(),
    theme: z.enum(THEMES).optional(),
    maxPixels: z.number().int().optional(),
    parallelism: z.number().int().optional(),
    strictFormat: z.boolean().optional(),
    modelDir: path.nullable().optional(),
    engine: engineSelection.optional(),
    llamaServerPath: path.nullable().optional(),
    blindReviewers: z.array(text(200)).max(1000).optional(),
    goldRate: z.number().optional(),
    exposureLimits: z
      .strictObject({
        softImages: z.number().int(),
        hardImages: z.number().int(),
        softHarmful: z.number().int(),
        hardHarmful: z.number().int(),
        breakMinutes: z.number().int(),
        softMinutes: z.number().int(),
      })
      .optional(),
    imageDisplay: z
      .strictObject({
        blurStrength: z.enum(BLUR_STRENGTHS),
        neverAutoReveal: z.boolean(),
        hideDecidedImages: z.boolean(),
      })
      .optional(),
    locateFlaggedInBatch: z.boolean().optional(),
    openai: z
      .strictObject({ baseUrl: text(2048), model: text(512), allowInsecureRemote: z.boolean() })
      .nullable()
      .optional(),
  }),
  'secrets.setApiKey': record({ apiKey: text(16_384).nullable() }),
  'packs.create': record({
    reviewers: z.array(text(200).min(1)).min(1).max(1000),
    overlap: z.number().min(0).max(1).optional(),
    split: z.enum(PACK_SPLITS).optional(),
    filter: queueFilter.optional(),
    caseIds: z.array(id).max(1_000_000).optional(),
    showModelVerdict: z.boolean().optional(),
    outDir: path,
    createdBy: text(200).optional(),
  }),
  'packs.import': record({ file: path }),
  'packs.list': nothing,
  'decisions.export': record({ pack: text(4096).min(1), out: path }),
  'decisions.import': record({ file: path }),
  'adjudication.get': record({ caseId: id }),
  'adjudication.submit': decision.extend({ source: z.enum(['manual', 'cli']).optional() }),
  'team.agreement': nothing,
  'demo.create': nothing,
  'gold.set': record({
    caseId: id,
    risk: risk.optional(),
    category: category.nullable().optional(),
    explanation: text(100_000).nullable().optional(),
    source: z.enum(GOLD_SOURCES).optional(),
  }),
  'gold.unset': record({ caseId: id }),
  'gold.list': nothing,
  'gold.report': nothing,
  'exposure.status': nothing,
  'exposure.imageRevealed': record({ caseId: id }),
  'exposure.startBreak': nothing,
  'exposure.endBreak': nothing,
  'practice.create': record({ out: path }),
  'practice.feedback': record({ caseId: id }),
  'practice.summary': nothing,
  'steps.get': record({ caseId: id }),
  'steps.locate': record({ caseId: id }),
  'steps.queueFlagged': record({ limit: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER).optional() }),
  'steps.runQueued': nothing,
  'steps.cancel': nothing,
  'steps.mark': record({
    caseId: id,
    reviewer: text(200).min(1),
    action: z.enum(STEP_MARK_ACTIONS),
    stepOffset: z.number().int().min(0).optional(),
  }),
  'steps.undoMark': record({ caseId: id, reviewer: text(200).min(1) }),
  'model.convert': record({
    hfDir: path,
    outDir: path,
    modelType: z.enum(MODEL_OUTPUT_TYPES).optional(),
    mmprojType: z.enum(MMPROJ_OUTPUT_TYPES).optional(),
    promptFile: path.optional(),
  }),
  'model.cancelConvert': nothing,
} satisfies Record<Channel, z.ZodType>;

/** Checks one channel's argument; throws ApiError('invalid') that names the field and the rule. */
export function validateChannelInput(channel: Channel, arg: unknown): unknown {
  const schema: z.ZodType | undefined = CHANNEL_SCHEMAS[channel];
  if (!schema) throw new ApiError('invalid', `Unknown channel "${String(channel)}".`);
  const result = schema.safeParse(arg);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const field = issue.path.length ? issue.path.map(String).join('.') : '(the argument)';
  throw new ApiError('invalid', `Invalid request to ${channel}: ${field}: ${issue.message}.`);
}
