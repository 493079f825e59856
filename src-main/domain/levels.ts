// A guard model's verdict vocabulary as the store and the screens need it: its risk levels (value, label, whether
// it counts as harmful) and its categories. The engine's profiles own them (engine/profiles/); the store receives
// them as plain data, so a profile with other levels is reviewed, adjudicated and scored on its own terms.
import { CATEGORIES, RISK_LABELS, RISK_LEVELS } from './types';

export interface LevelScheme {
  /** The guard-model profile that writes verdicts in this vocabulary (audits.profile_id). */
  profileId: string;
  levels: ReadonlyArray<{ value: number; label: string; harmful: boolean }>;
  categories: readonly string[];
}

/** GuardTrace-VL's vocabulary: 0 safe, 0.5 potentially harmful, 1 harmful, and its nine categories. */
export const GUARDTRACE_LEVEL_SCHEME: LevelScheme = {
  profileId: 'guardtrace-vl',
  levels: RISK_LEVELS.map((value) => ({ value, label: RISK_LABELS[`${value}`], harmful: value !== 0 })),
  categories: CATEGORIES,
};

/** "0, 0.5 or 1": the levels as a message lists them. */
export function levelList(scheme: LevelScheme): string {
  const values = scheme.levels.map((level) => String(level.value));
  return values.length > 1 ? `${values.slice(0, -1).join(', ')} or ${values.at(-1)}` : (values[0] ?? '');
}

export function isLevelOf(scheme: LevelScheme, value: unknown): value is number {
  return typeof value === 'number' && scheme.levels.some((level) => level.value === value);
}

export function isCategoryOf(scheme: LevelScheme, value: unknown): value is string {
  return typeof value === 'string' && scheme.categories.includes(value);
}

/** Whether a level counts as harmful in binary scores (an unknown level does not). */
export function isHarmful(scheme: LevelScheme, value: number | null): boolean {
  return value !== null && scheme.levels.some((level) => level.value === value && level.harmful);
}
