// Locating the first flagged step of a trace by prefix search (docs/step-localization.md): the records every layer
// passes around, and the search itself as a pure function of the probe results so far, so a search that was killed
// resumes by replaying its stored probes and never runs a probe twice.
import type { JudgmentStop } from './audits';
import type { SpanHint } from './span-hints';
import type { TraceStep } from './trace-steps';

export const STEP_SEARCH_METHOD = 'prefix-search' as const;

/** The placeholder the reference script writes for a case without a response (GuardTrace-VL eval code). */
export const NO_RESPONSE_TEXT = 'No response provided';

export const STEP_SEARCH_STATUSES = [
  'queued',
  'running',
  /** A step k with the prefix through k flagged and through k−1 not (k = 1: the first step). */
  'located',
  /** The probes contradict each other (a prefix flagged, a longer one not): no single step is claimed. */
  'not_monotone',
  /** Not even the whole trace without the response is flagged: the harm is not in the trace alone. */
  'not_flagged',
  /** The trace has no steps (empty or whitespace). */
  'no_steps',
  'failed',
  'cancelled',
] as const;
export type StepSearchStatus = (typeof STEP_SEARCH_STATUSES)[number];

/** A probe: the case audited with the trace cut after `cut` steps and the response replaced by NO_RESPONSE_TEXT. */
export interface StepProbe {
  cut: number;
  /** 'ok' probes have a risk; the others stop the search with the reason. */
  status: 'ok' | 'parse_failure' | 'truncated';
  risk: number | null;
  flagged: boolean;
  /** p(level) at the judgment, when the engine reports it. */
  levelProbs: Record<string, number> | null;
  promptTokens: number;
  cachedPromptTokens: number;
  generatedTokens: number;
  /** How the probe's generation ended (it reads only the judgment); null for probes stored before it was recorded. */
  judgmentStop: JudgmentStop | null;
  totalMs: number;
  createdAt: string;
}

export interface StepSearchRecord {
  id: number;
  caseId: string;
  method: typeof STEP_SEARCH_METHOD;
  status: StepSearchStatus;
  stepCount: number;
  segmenterVersion: number;
  /** sha256 of the trace the steps were cut from: a search on another trace text is stale. */
  traceSha256: string;
  /** 1-based located step, or null. */
  locatedStep: number | null;
  /** Offset of the located step in the stored trace (its stable id). */
  locatedOffset: number | null;
  engine: string;
  modelId: string;
  modelSha256: string | null;
  mmprojSha256: string | null;
  promptSha256: string;
  profileId: string;
  lastError: string | null;
  attempts: number;
  probes: StepProbe[];
  createdAt: string;
  updatedAt: string;
}

/** `stats --json` → `located`. */
export interface LocatedCounts {
  done: number;
  running: number;
  failed: number;
  notMonotone: number;
}

/** The moderator's step label, as the latest of the append-only step marks says. */
export interface StepLabel {
  /** 'step': the first unsafe step is `step`; 'none': no single step (or safe). */
  kind: 'step' | 'none';
  stepIndex: number | null;
  stepOffset: number | null;
  reviewer: string;
  markId: number;
  createdAt: string;
}

export const STEP_MARK_ACTIONS = ['confirm', 'clear'] as const;
export type StepMarkAction = (typeof STEP_MARK_ACTIONS)[number];

export interface StepMarkInput {
  caseId: string;
  reviewer: string;
  action: StepMarkAction;
  /** With 'confirm': the offset of the step the moderator marks (the step's id). */
  stepOffset?: number;
}

/** The most probes a search over `stepCount` steps runs: ⌈log₂ N⌉ for the bisection plus one for the whole trace. */
export function maxProbes(stepCount: number): number {
  return stepCount <= 0 ? 0 : Math.ceil(Math.log2(stepCount)) + 1;
}

export type SearchPlan =
  | { next: number }
  | { done: 'located'; step: number }
  | { done: 'not_monotone' | 'not_flagged' | 'no_steps'; step: null };

/**
 * The next probe, or the outcome, given the probes so far (cut → flagged). Bisection over steps 1..N assuming the
 * whole trace is flagged (the case's verdict was), then one probe of the whole trace without the response that
 * checks the assumption. The result is confirmed by probes already run: step k's prefix flagged (a bisection probe,
 * or the last one when k = N) and step k−1's not (the bisection moved past it); for k = 1, step 0 is the trace-less
 * case, which is not probed. Probes that contradict monotonicity make the outcome 'not_monotone'.
 */
export function planSearch(stepCount: number, probes: ReadonlyMap<number, boolean>): SearchPlan {
  if (stepCount <= 0) return { done: 'no_steps', step: null };
  let lo = 1;
  let hi = stepCount;
  while (lo < hi) {
    const mid = Math.floor((lo + hi) / 2);
    const flagged = probes.get(mid);
    if (flagged === undefined) return { next: mid };
    if (flagged) hi = mid;
    else lo = mid + 1;
  }
  const whole = probes.get(stepCount);
  if (whole === undefined) return { next: stepCount };
  if (!isMonotone(probes)) return { done: 'not_monotone', step: null };
  if (!whole) return { done: 'not_flagged', step: null };
  return { done: 'located', step: lo };
}

/** No shorter prefix is flagged while a longer one is not. */
export function isMonotone(probes: ReadonlyMap<number, boolean>): boolean {
  let seenFlagged = false;
  for (const cut of [...probes.keys()].sort((a, b) => a - b)) {
    if (probes.get(cut)) seenFlagged = true;
    else if (seenFlagged) return false;
  }
  return true;
}

/** Everything the trace view shows about a case's steps (channel `steps.get`). */
export interface CaseSteps {
  caseId: string;
  steps: TraceStep[];
  /** The latest search with any model (its status, located step and probes); null when never searched. */
  search: StepSearchRecord | null;
  /** Where the latest verdict's analysis quotes the trace: hints, never the located step. */
  hints: SpanHint[];
  /** The moderator's label, if any. */
  label: StepLabel | null;
  /** Extra generations a search over these steps costs at most. */
  maxProbes: number;
}
