// The guard-model profiles the app ships. Adding one: a folder beside guardtrace-vl/ and one line here.
import { EngineError } from '../engine';
import { guardTraceVl } from './guardtrace-vl';
import type { LevelScheme } from '@domain/levels';
import type { GuardModelProfile } from './profile';

export const DEFAULT_PROFILE: GuardModelProfile = guardTraceVl;

const SHIPPED: readonly GuardModelProfile[] = [guardTraceVl];

export function profileById(id: string | undefined, extra: readonly GuardModelProfile[] = []): GuardModelProfile {
  if (id === undefined) return DEFAULT_PROFILE;
  const found = [...SHIPPED, ...extra].find((p) => p.id === id);
  if (!found)
    throw new EngineError(
      'load_failed',
      `Unknown guard-model profile "${id}"; known: ${[...SHIPPED, ...extra].map((p) => p.id).join(', ')}.`,
    );
  return found;
}

/** A profile's verdict vocabulary as the store takes it (plain data: levels, harmful or not, categories). */
export function levelSchemeOf(profile: GuardModelProfile): LevelScheme {
  return {
    profileId: profile.id,
    levels: profile.levels.map(({ value, label, harmful }) => ({ value, label, harmful })),
    categories: profile.categories,
  };
}

/** The shipped profiles' vocabularies, the default profile's first. */
export function shippedLevelSchemes(extra: readonly GuardModelProfile[] = []): LevelScheme[] {
  return [...SHIPPED, ...extra].map(levelSchemeOf);
}

export type { GuardModelProfile } from './profile';
