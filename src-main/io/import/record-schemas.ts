import { z } from 'zod';
import type { ImportFormat } from '@domain/io';
import type { RiskLevel } from '@domain/types';
import { asAudited, withFigStepQuery } from './reference-eval';

// One schema per input format, all producing the same CaseFields. Text is kept exactly as given
// (no trimming): the auditor's verdict depends on the exact query, trace and response.

export type ImageSpec = { kind: 'file'; name: string } | { kind: 'data'; uri: string };

export interface CaseFields {
  id: string | null;
  query: string;
  thinking: string;
  response: string;
  image: ImageSpec | null;
  gold: RiskLevel | null;
  meta: Record<string, unknown>;
}

/** Which source field each CaseFields part came from, so errors name the column the user wrote. */
export const IMAGE_FIELD: Record<ImportFormat, string> = {
  guardtrace: 'image_name',
  jsonl: 'image',
  csv: 'image',
  'guardtrace-results': 'image_name',
};

const describe = (value: unknown): string =>
  value === null
    ? 'null'
    : Array.isArray(value)
      ? 'an array'
      : typeof value === 'string'
        ? `"${value.slice(0, 40)}"`
        : typeof value === 'object'
          ? 'an object'
          : `${typeof value} ${String(value)}`;

const requiredText = (what: string) =>
  z.string({
    error: (issue) =>
      issue.input === undefined ? `is missing (${what})` : `must be text, got ${describe(issue.input)}`,
  });

const query = requiredText('the user query').refine(
  (text) => text.trim().length > 0,
  'is empty; every case needs the user query',
);
const thinking = requiredText("the AI's reasoning trace; use an empty string if there is none");
const response = requiredText("the AI's final response").refine(
  (text) => text.trim().length > 0,
  "is empty; every case needs the AI's response",
);

/** 0, 0.5, 1 as numbers or strings ("0.0", "1" …); empty/absent means no gold label. */
const gold = z
  .union([z.number(), z.string(), z.null()], { error: (issue) => `must be 0, 0.5 or 1, got ${describe(issue.input)}` })
  .optional()
  .transform((value, ctx): RiskLevel | null => {
    if (value === undefined || value === null || (typeof value === 'string' && value.trim() === '')) return null;
    const n = typeof value === 'number' ? value : Number(value.trim());
    if (n === 0 || n === 0.5 || n === 1) return n;
    ctx.addIssue({ code: 'custom', message: `must be 0, 0.5 or 1, got ${describe(value)}` });
    return z.NEVER;
  });

const sourceId = z
  .union([z.string(), z.number()], { error: (issue) => `must be a string or number, got ${describe(issue.input)}` })
  .optional()
  .nullable()
  .transform((value, ctx): string | null => {
    if (value === undefined || value === null) return null;
    const id = String(value).trim();
    if (!id) return null;
    if (id.length > 200) {
      ctx.addIssue({ code: 'custom', message: 'is longer than 200 characters' });
      return z.NEVER;
    }
    return id;
  });

const optionalImage = z
  .string({ error: (issue) => `must be a file name or data: URI, got ${describe(issue.input)}` })
  .nullable()
  .optional()
  .transform((value): ImageSpec | null => {
    if (value === undefined || value === null || value.trim() === '') return null;
    return value.startsWith('data:') ? { kind: 'data', uri: value } : { kind: 'file', name: value };
  });

const metaObject = z.record(z.string(), z.unknown(), {
  error: (issue) => `must be a JSON object, got ${describe(issue.input)}`,
});

/** GuardTrace-VL dataset layout: {image_name, question, thinking, response, evaluation_result}. */
const guardtraceRecord = z.looseObject({
  id: sourceId,
  image_name: optionalImage,
  question: query,
  thinking,
  response,
  evaluation_result: gold,
});

const jsonlRecord = z.looseObject({
  id: sourceId,
  question: query,
  thinking,
  response,
  image: optionalImage,
  gold,
  meta: metaObject.optional().nullable(),
});

/** CSV cells are all strings; meta is a JSON object in a string cell. */
const csvRecord = z.looseObject({
  id: sourceId,
  question: query,
  thinking,
  response,
  image: optionalImage,
  gold,
  meta: z
    .string()
    .optional()
    .transform((text, ctx): Record<string, unknown> | null => {
      if (text === undefined || text.trim() === '') return null;
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch (error) {
        ctx.addIssue({ code: 'custom', message: `is not valid JSON (${(error as Error).message})` });
        return z.NEVER;
      }
      if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
        ctx.addIssue({ code: 'custom', message: `must hold a JSON object, got ${describe(parsed)}` });
        return z.NEVER;
      }
      return parsed as Record<string, unknown>;
    }),
});

export const CSV_REQUIRED_COLUMNS = ['question', 'thinking', 'response'] as const;

const KNOWN_KEYS: Record<ImportFormat, Set<string>> = {
  guardtrace: new Set(['id', 'image_name', 'question', 'thinking', 'response', 'evaluation_result']),
  jsonl: new Set(['id', 'question', 'thinking', 'response', 'image', 'gold', 'meta']),
  csv: new Set(['id', 'question', 'thinking', 'response', 'image', 'gold', 'meta']),
  'guardtrace-results': new Set(['image_name', 'query', 'thinking', 'response', 'eval_result', 'label']),
};

export type FieldIssue = { field: string | null; reason: string };

/**
 * The reference script's output record (GuardTrace-VL eval/S-Eval_test_eval.py): {image_name, query, thinking,
 * response, eval_result, label}, where query is the dataset's question and label its evaluation_result, so a case
 * gets the same identity as when the dataset itself is imported.
 */
const scriptText = z
  .string({ error: (issue) => `must be text, got ${describe(issue.input)}` })
  .nullable()
  .optional();

const referenceResultRecord = z.looseObject({
  image_name: optionalImage,
  query: scriptText,
  thinking: scriptText,
  response: scriptText,
  eval_result: z.string({
    error: (issue) =>
      issue.input === undefined
        ? "is missing (the model's output; without it there is no reference verdict)"
        : `must be text, got ${describe(issue.input)}`,
  }),
  // Checked below: a label outside 0/0.5/1 is reported, and the record (with its verdict) is still imported.
  label: z.unknown(),
});

/** The three texts as the script's output wrote them ("" for a missing key), for finding a case imported as is. */
export interface WrittenContent {
  query: string;
  thinking: string;
  response: string;
}

export type ReferenceResultParse =
  | { ok: true; fields: CaseFields; evalResult: string; written: WrittenContent; warnings: FieldIssue[] }
  | { ok: false; issues: FieldIssue[]; scriptError?: string };

/** Validates one record of the reference script's output; its {image_name, error} entries come back as scriptError. */
export function parseReferenceResult(value: unknown): ReferenceResultParse {
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    return { ok: false, issues: [{ field: null, reason: `must be a JSON object, got ${describe(value)}` }] };
  const raw = value as Record<string, unknown>;
  if ('error' in raw && !('eval_result' in raw)) {
    const message = typeof raw.error === 'string' ? raw.error : JSON.stringify(raw.error);
    return {
      ok: false,
      scriptError: message,
      issues: [
        { field: 'error', reason: `the reference script failed on this record, so it has no verdict: ${message}` },
      ],
    };
  }
  const result = referenceResultRecord.safeParse(raw);
  if (!result.success) return { ok: false, issues: toIssues(result.error) };
  const r = result.data;
  const known = KNOWN_KEYS['guardtrace-results'];
  const extras = Object.fromEntries(Object.entries(raw).filter(([key]) => !known.has(key)));
  const warnings: FieldIssue[] = [];
  const label = gold.safeParse(r.label);
  if (!label.success)
    warnings.push({
      field: 'label',
      reason:
        `${label.error.issues[0]?.message ?? 'must be 0, 0.5 or 1'}; it is not stored as the gold label. ` +
        'The record and its reference verdict were imported; correct the label in the dataset if it matters.',
    });
  // The case as the script gave it to the model: its fallbacks for missing texts, the FigStep query for S-Eval images.
  const fields = withFigStepQuery({
    id: null,
    query: asAudited(r.query, 'query'),
    thinking: asAudited(r.thinking, 'thinking'),
    response: asAudited(r.response, 'response'),
    image: r.image_name,
    gold: label.success ? label.data : null,
    meta: extras,
  });
  return {
    ok: true,
    evalResult: r.eval_result,
    fields,
    written: { query: r.query ?? '', thinking: r.thinking ?? '', response: r.response ?? '' },
    warnings,
  };
}

/** Validates one source record; extra keys the format doesn't know are kept in meta rather than dropped. */
export function parseRecord(
  format: ImportFormat,
  value: unknown,
): { ok: true; fields: CaseFields } | { ok: false; issues: FieldIssue[] } {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return { ok: false, issues: [{ field: null, reason: `must be a JSON object, got ${describe(value)}` }] };
  }
  const raw = value as Record<string, unknown>;
  const known = KNOWN_KEYS[format];
  const extras: Record<string, unknown> = {};
  for (const key of Object.keys(raw)) {
    if (!known.has(key) && !(format === 'csv' && raw[key] === '')) extras[key] = raw[key];
  }
  if (format === 'guardtrace-results') {
    const parsed = parseReferenceResult(raw);
    return parsed.ok ? { ok: true, fields: parsed.fields } : { ok: false, issues: parsed.issues };
  }
  if (format === 'guardtrace') {
    const result = guardtraceRecord.safeParse(raw);
    if (!result.success) return { ok: false, issues: toIssues(result.error) };
    const r = result.data;
    return {
      ok: true,
      fields: {
        id: r.id,
        query: r.question,
        thinking: r.thinking,
        response: r.response,
        image: r.image_name,
        gold: r.evaluation_result,
        meta: extras,
      },
    };
  }
  const result = (format === 'jsonl' ? jsonlRecord : csvRecord).safeParse(raw);
  if (!result.success) return { ok: false, issues: toIssues(result.error) };
  const r = result.data;
  return {
    ok: true,
    fields: {
      id: r.id,
      query: r.question,
      thinking: r.thinking,
      response: r.response,
      image: r.image,
      gold: r.gold,
      meta: { ...extras, ...(r.meta ?? {}) },
    },
  };
}

function toIssues(error: z.ZodError): FieldIssue[] {
  return error.issues.map((issue) => ({
    field: issue.path.length ? issue.path.map(String).join('.') : null,
    reason: issue.message,
  }));
}
