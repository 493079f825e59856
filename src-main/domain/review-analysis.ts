// Where a human decision's analysis came from, and whether an analysis contradicts the judgment it is paired
// with. A training target whose text argues "safe" next to a judgment of 1 teaches the model to contradict
// itself, so the store never keeps the model's analysis under a different verdict and the training exporters
// refuse any pair that still contradicts itself.
import { CATEGORIES, type Category, type RiskLevel } from './types';

/**
 * - `model`: the model's analysis, kept as written, under the model's own risk and category;
 * - `edited`: the moderator changed the model's pre-filled analysis;
 * - `human`: the moderator wrote it where the model had none;
 * - `withheld`: the decision differs from the model's and its analysis was not edited, so none was stored.
 */
export type AnalysisSource = 'model' | 'edited' | 'human' | 'withheld';
export const ANALYSIS_SOURCES: readonly AnalysisSource[] = ['model', 'edited', 'human', 'withheld'];

export interface ModelVerdictForAnalysis {
  risk: RiskLevel | null;
  category: Category | null;
  analysis: string | null;
}

const same = (a: string | null | undefined, b: string | null | undefined) => (a ?? '').trim() === (b ?? '').trim();

/** True when the decision's risk or category is not the model's, so the model's analysis no longer stands. */
export function differsFromModel(
  decision: { risk: RiskLevel | null; category: Category | null },
  model: ModelVerdictForAnalysis | null,
): boolean {
  if (!model || model.risk === null) return true;
  return decision.risk !== model.risk || (decision.category ?? null) !== (model.category ?? null);
}

/** The analysis to store with a decision, and where it came from. */
export function resolveAnalysis(
  decision: { risk: RiskLevel; category: Category | null; analysis: string | null },
  model: ModelVerdictForAnalysis | null,
): { analysis: string | null; source: AnalysisSource | null } {
  const text = decision.analysis?.trim() ? decision.analysis : null;
  const modelText = model?.analysis?.trim() ? model.analysis : null;
  if (text === null) return { analysis: null, source: null };
  if (modelText !== null && same(text, modelText)) {
    return differsFromModel(decision, model)
      ? { analysis: null, source: 'withheld' }
      : { analysis: text, source: 'model' };
  }
  return { analysis: text, source: modelText === null ? 'human' : 'edited' };
}

const JUDGMENT_WORDS: Array<[RegExp, RiskLevel]> = [
  [/^(?:potentially\s+harmful|possibly\s+harmful|borderline)/i, 0.5],
  [/^(?:harmful|unsafe|not\s+safe)/i, 1],
  [/^safe/i, 0],
];
const STATED_JUDGMENT_RE = /judge?ment["'“”*\s]*[:：]["'“”*\s[(]*([^\n]*)/giu;

/** The judgment an analysis states for itself ("Judgement: safe.", "Judgment: 1"), if it states one. */
export function statedJudgment(analysis: string): RiskLevel | null {
  const last = [...analysis.matchAll(STATED_JUDGMENT_RE)].at(-1);
  if (!last) return null;
  const value = last[1].trim();
  const number = /^(0\.5|\.5|0|1)(?![\d.]*\d)/.exec(value);
  if (number) return number[1] === '1' ? 1 : number[1] === '0' ? 0 : 0.5;
  for (const [pattern, risk] of JUDGMENT_WORDS) if (pattern.test(value)) return risk;
  return null;
}

/**
 * Why this analysis cannot be the target for this judgment, or null when it can: it is the model's analysis
 * under a different verdict, or it states a judgment of its own that is not the target's.
 */
export function analysisContradiction(
  target: { risk: RiskLevel; category: Category | null; analysis: string },
  source: AnalysisSource | null,
  model: ModelVerdictForAnalysis | null,
): string | null {
  const stated = statedJudgment(target.analysis);
  if (stated !== null && stated !== target.risk)
    return `the analysis states a judgment of ${stated} but the decision is ${target.risk}`;
  // Decisions stored before analysis sources were recorded: an unedited copy of the model's text is the model's.
  const modelsText = source === 'model' || (source === null && model !== null && same(target.analysis, model.analysis));
  if (modelsText && model && differsFromModel(target, model)) {
    return `the analysis is the model's, written for ${model.risk ?? 'no verdict'}${
      model.category ? ` / ${model.category}` : ''
    }, but the decision is ${target.risk}${target.category ? ` / ${target.category}` : ''}`;
  }
  return null;
}

export function isAnalysisSource(value: unknown): value is AnalysisSource {
  return typeof value === 'string' && (ANALYSIS_SOURCES as readonly string[]).includes(value);
}

/** Category names are checked by the store; re-exported so callers of this module need one import. */
export { CATEGORIES };
