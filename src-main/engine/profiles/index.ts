// The guard-model profiles the app ships. Adding one: a folder beside guardtrace-vl/ and one line here.
import { EngineError } from '../engine';
import { guardTraceVl } from './guardtrace-vl';
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

export type { GuardModelProfile } from './profile';
