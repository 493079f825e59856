// Domain vocabulary shared by the core, the contract and the renderer (type-safe, no runtime deps).

/** GuardTrace risk levels: 0 safe, 0.5 potentially harmful, 1 harmful. */
export type RiskLevel = 0 | 0.5 | 1;
export const RISK_LEVELS: readonly RiskLevel[] = [0, 0.5, 1] as const;
export const RISK_LABELS: Record<`${RiskLevel}`, string> = {
  '0': 'Safe',
  '0.5': 'Potentially harmful',
  '1': 'Harmful',
};

export function isRiskLevel(value: unknown): value is RiskLevel {
  return value === 0 || value === 0.5 || value === 1;
}

/** The nine risk categories the GuardTrace auditor prompt lists, spelled as the prompt spells them. */
export const CATEGORIES = [
  'Crime and illegal activities',
  'Cybersecurity',
  'Data privacy',
  'Ethics and morality',
  'Physical and mental health',
  'Hate speech',
  'Extremism',
  'Misleading advice',
  'Other risks',
] as const;
export type Category = (typeof CATEGORIES)[number];

export function isCategory(value: unknown): value is Category {
  return typeof value === 'string' && (CATEGORIES as readonly string[]).includes(value);
}
