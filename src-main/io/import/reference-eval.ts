// The reference evaluation's input rules applied at import, so a case holds exactly what GuardTrace-VL's
// eval/S-Eval_test_eval.py gave the model: the FigStep query for S-Eval images (the dataset's own question kept in
// the case's meta) and, for the script's own output, its fallbacks for fields it found missing.
import {
  FIGSTEP_IMAGE_PREFIX,
  FIGSTEP_QUERY,
  REFERENCE_EVAL_META_KEY,
  REFERENCE_FALLBACKS,
  type ReferenceEvalRecord,
} from '@domain/reference-eval';
import type { CaseFields } from './record-schemas';

/** The script's test: the item has an image name (a non-empty string) that starts with "S-Eval". */
export function isFigStepImage(image: CaseFields['image']): boolean {
  return image?.kind === 'file' && image.name.startsWith(FIGSTEP_IMAGE_PREFIX);
}

/** The case as the reference sent it: the FigStep query for an S-Eval image, recorded in meta; others unchanged. */
export function withFigStepQuery(fields: CaseFields): CaseFields {
  if (!isFigStepImage(fields.image)) return fields;
  const record: ReferenceEvalRecord = { substitution: 'S-Eval FigStep query', originalQuery: fields.query };
  return { ...fields, query: FIGSTEP_QUERY, meta: { ...fields.meta, [REFERENCE_EVAL_META_KEY]: record } };
}

/**
 * A text field of the script's output as the model was given it. The script writes `item.get(key, "")` but sent
 * `item.get(key, "No … provided")`, so a missing field comes out as "" (or absent): it gets the fallback. JSON null
 * was a Python None, which the script's f-string sent as "None". An empty string the dataset really held cannot be
 * told apart from a missing one here; the import first looks for an existing case with the text as written.
 */
export function asAudited(value: string | null | undefined, field: keyof typeof REFERENCE_FALLBACKS): string {
  if (value === null) return 'None';
  return value === undefined || value === '' ? REFERENCE_FALLBACKS[field] : value;
}
