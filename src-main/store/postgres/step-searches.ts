// Step localization (the contract's StepSearchStore) on a team database: not built yet. The team schema has no
// step_searches, step_probes or step_marks tables (SQLite migration 0012 has them), so every operation that would
// search, store a probe or record a step mark refuses with a StoreError that names the feature. The reads that
// the case view and `stats` make answer what is true of a team database today: no search, no label, nothing counted.
import type { LocatedCounts, StepLabel, StepSearchRecord } from '@domain/step-localization';
import type { StepSearchStore } from '../contract';
import { StoreError } from '../errors';

const NOT_YET =
  'is not available on a team database yet (step localization: step searches, their probes and step marks are ' +
  'only stored in a data folder for now). Use a data folder (--data-dir DIR) to locate steps.';

function refuse(what: string): Promise<never> {
  return Promise.reject(new StoreError('unsupported', `${what} ${NOT_YET}`));
}

export class PostgresStepSearchStore implements StepSearchStore {
  enqueue(): Promise<{ id: number; queued: boolean }> {
    return refuse('Queuing a step search');
  }
  claim(): Promise<StepSearchRecord | null> {
    return refuse('Claiming a step search');
  }
  recordProbe(): Promise<boolean> {
    return refuse('Storing a step-search probe');
  }
  finish(): Promise<void> {
    return refuse('Finishing a step search');
  }
  fail(): Promise<void> {
    return refuse('Failing a step search');
  }
  release(): Promise<void> {
    return refuse('Releasing a step search');
  }
  cancelQueued(): Promise<number> {
    return refuse('Cancelling step searches');
  }
  heartbeat(): Promise<number> {
    return refuse('A step-search heartbeat');
  }
  requeueOrphaned(): Promise<number> {
    return refuse('Requeuing step searches');
  }
  get(): Promise<StepSearchRecord> {
    return refuse('Reading a step search');
  }
  async latestForCase(): Promise<StepSearchRecord | null> {
    return null;
  }
  flaggedWithoutSearch(): Promise<string[]> {
    return refuse('Finding flagged cases to search');
  }
  async counts(): Promise<LocatedCounts> {
    return { done: 0, running: 0, failed: 0, notMonotone: 0 };
  }
  async label(): Promise<StepLabel | null> {
    return null;
  }
  mark(): Promise<number> {
    return refuse('Marking a step');
  }
  undoLastMark(): Promise<{ undoneId: number; undoId: number } | null> {
    return refuse('Undoing a step mark');
  }
}
