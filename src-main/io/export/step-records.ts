// Step labels in exports (docs/step-localization.md, "Export layout"). The `steps` format writes one record per
// reviewed case in the shape process-supervision trainers read (PRM800K-style steps with a label per step, plus the
// ProcessBench-style index of the first bad step); the jsonl and csv formats carry the same labels as extra fields.
// SFT and DPO targets never change: they come from the case-level decision alone.
import type { StepLabel, StepSearchRecord } from '@domain/step-localization';
import { SEGMENTER_VERSION, segmentTrace, stepText, type TraceStep } from '@domain/trace-steps';
import type { ExportRecord as ExportRow, Store } from '../../store/contract';

export interface StepExportInfo {
  steps: TraceStep[];
  label: StepLabel | null;
  search: StepSearchRecord | null;
}

export async function stepExportInfo(store: Store, row: ExportRow): Promise<StepExportInfo> {
  return {
    steps: segmentTrace(row.thinking),
    label: await store.steps.label(row.id),
    search: await store.steps.latestForCase(row.id),
  };
}

/**
 * Where the moderator says the trace first goes wrong:
 * - 'step': a confirmed step;
 * - 'no_single_step': cleared with Ctrl+L (harm not in one step, or spread over several);
 * - 'safe': the decision in force is 0 and no step was marked (every step counts as fine);
 * - 'unlabelled': none of these.
 */
export type StepLabelStatus = 'step' | 'no_single_step' | 'safe' | 'unlabelled';

export function stepLabelStatus(info: StepExportInfo, humanRisk: number | null): StepLabelStatus {
  if (info.label?.kind === 'step') return 'step';
  if (info.label?.kind === 'none') return 'no_single_step';
  return humanRisk === 0 ? 'safe' : 'unlabelled';
}

/** 0-based index of the first unsafe step in `steps` (ProcessBench's `label`), or null. */
export function firstUnsafeIndex(info: StepExportInfo): number | null {
  if (info.label?.kind !== 'step' || info.label.stepOffset === null) return null;
  const index = info.steps.findIndex((s) => s.start === info.label!.stepOffset);
  return index >= 0 ? index : null;
}

/**
 * PRM800K-style rating per step: 1 (fine) before the first unsafe step, -1 at it, null after it (not judged: the
 * moderator only says where it first goes wrong). A case judged safe has every step 1; otherwise all null.
 */
export function perStepLabels(info: StepExportInfo, status: StepLabelStatus): Array<1 | -1 | null> {
  const first = firstUnsafeIndex(info);
  return info.steps.map((_, i) => {
    if (status === 'safe') return 1;
    if (first === null) return null;
    return i < first ? 1 : i === first ? -1 : null;
  });
}

function modelLocated(info: StepExportInfo) {
  const search = info.search;
  if (!search) return null;
  return {
    status: search.status,
    // 0-based, like first_unsafe_step; null unless the search located a step.
    step: search.locatedStep === null ? null : search.locatedStep - 1,
    offset: search.locatedOffset,
    method: search.method,
    engine: search.engine,
    model_id: search.modelId,
    model_sha256: search.modelSha256,
    mmproj_sha256: search.mmprojSha256,
    prompt_sha256: search.promptSha256,
    profile_id: search.profileId,
    probes: search.probes.map((p) => ({ cut: p.cut, risk: p.risk, level_probs: p.levelProbs })),
  };
}

/** The fields the jsonl export adds to each case (offsets index the stored trace). */
export function stepFields(info: StepExportInfo, humanRisk: number | null) {
  const status = stepLabelStatus(info, humanRisk);
  return {
    step_label: {
      status,
      first_unsafe_step: firstUnsafeIndex(info),
      offset: info.label?.kind === 'step' ? info.label.stepOffset : null,
      reviewer: info.label?.reviewer ?? null,
      step_count: info.steps.length,
      segmenter_version: SEGMENTER_VERSION,
    },
    model_located: modelLocated(info),
  };
}

/** The csv export's step columns (appended after the existing ones). */
export const STEP_CSV_COLUMNS = [
  'step_label_status',
  'step_first_unsafe',
  'step_count',
  'model_located_status',
  'model_located_step',
] as const;

export function stepCsvCells(
  info: StepExportInfo,
  humanRisk: number | null,
): Record<(typeof STEP_CSV_COLUMNS)[number], unknown> {
  const fields = stepFields(info, humanRisk);
  return {
    step_label_status: fields.step_label.status,
    step_first_unsafe: fields.step_label.first_unsafe_step,
    step_count: info.steps.length,
    model_located_status: fields.model_located?.status ?? null,
    model_located_step: fields.model_located?.step ?? null,
  };
}

/** One record of `export --format steps`. */
export function stepsRecord(
  row: ExportRow,
  info: StepExportInfo,
  caseLabels: { gold: unknown; model: unknown; human: unknown; final: unknown; image: unknown },
) {
  const status = stepLabelStatus(info, row.human_risk);
  return {
    id: row.id,
    query: row.query,
    image: caseLabels.image,
    steps: info.steps.map((s) => stepText(row.thinking, s)),
    step_offsets: info.steps.map((s) => [s.start, s.end]),
    segmenter_version: SEGMENTER_VERSION,
    response: row.response,
    label_status: status,
    first_unsafe_step: firstUnsafeIndex(info),
    labels: perStepLabels(info, status),
    labeler: info.label?.reviewer ?? null,
    model_located: modelLocated(info),
    gold: caseLabels.gold,
    model: caseLabels.model,
    human: caseLabels.human,
    final: caseLabels.final,
  };
}
