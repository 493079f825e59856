// Gold cases travel in packs like any other case, without their answers (those stay in the lead's gold_cases), mixed
// into each reviewer's list at the lead's rate (docs/quality.md). Decisions on them come back with the decisions file
// and are scored against gold on the lead's side.
import { createHash } from 'node:crypto';
import { interleaveGold, seededRandom } from '@domain/gold';
import type { Store } from '../../store/contract';

const hashOf = (text: string) => createHash('sha256').update(text).digest();

/**
 * The reviewer's case list with gold cases mixed in at `rate`. Deterministic for the same reviewer, cases and pack
 * time; gold cases the reviewer has anyway are not added twice, and each reviewer meets the gold set in its own order.
 */
export async function withGoldInterleaved(
  store: Store,
  reviewer: string,
  caseIds: readonly string[],
  rate: number,
  packSeed: string,
): Promise<string[]> {
  if (rate <= 0) return [...caseIds];
  const have = new Set(caseIds);
  const gold = (await store.gold.list())
    .map((g) => g.caseId)
    .filter((id) => !have.has(id))
    .sort((a, b) => Buffer.compare(hashOf(`${reviewer}\n${a}`), hashOf(`${reviewer}\n${b}`)));
  const random = seededRandom(hashOf(`${packSeed}\n${reviewer}`).readUInt32LE(0));
  return interleaveGold(caseIds, gold, rate, random);
}
