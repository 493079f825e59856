// The Audit button says what the runner is doing when it cannot start an audit (issue 20: during an audit on open
// it said "An audit batch is running", though no batch ran).
import { describe, expect, it } from 'vitest';
import type { AuditProgress } from '@domain/audits';
import { auditButtonBlockedReason } from '../../src-renderer/src/lib/audit-button';

const running = (patch: Partial<AuditProgress>): AuditProgress => ({
  state: 'running',
  done: 0,
  failed: 0,
  total: 1,
  casesPerMinute: 0,
  etaSeconds: null,
  currentCaseId: null,
  lastError: null,
  ...patch,
});
const seqs: Record<string, number> = { 'synth-11': 12, 'synth-40': 41 };
const reason = (
  progress: AuditProgress | null,
  openCaseId = 'synth-40',
  seqOf = (id: string): number | undefined => seqs[id],
) => auditButtonBlockedReason({ engineLoaded: true, progress, openCaseId, seqOf });

describe('why the Audit button is disabled', () => {
  it('during an audit on open of the case opened before, names that case by its queue number, not a batch', () => {
    const onOpen = running({ auditOnOpenOnly: true, inFlightCaseIds: ['synth-11'], priorityCaseId: 'synth-40' });
    expect(reason(onOpen)).toBe(
      'Case #12, opened before this one, is being audited on open; audit this case once it is done.',
    );
    expect(reason(onOpen, 'synth-40', () => undefined)).toMatch(
      /^The case you opened before this one is being audited on open/,
    );
    expect(reason(onOpen)).not.toMatch(/batch|synth-11/);
  });

  it('says the open case is the one being audited when it is', () => {
    const self = running({ auditOnOpenOnly: true, inFlightCaseIds: ['synth-40'], priorityCaseId: 'synth-40' });
    expect(reason(self)).toMatch(/^This case is being audited now \(audit on open\)/);
    const batchWithOpened = running({ inFlightCaseIds: ['synth-11', 'synth-40'], priorityCaseId: 'synth-40' });
    expect(reason(batchWithOpened)).toMatch(/^This case is being audited now/);
  });

  it('still says so when a batch runs, and nothing when the runner is idle', () => {
    expect(reason(running({ inFlightCaseIds: ['synth-11'], priorityCaseId: null }))).toBe(
      'An audit batch is running; pause or cancel it first.',
    );
    expect(reason(running({ state: 'done' }))).toBeNull();
    expect(reason(null)).toBeNull();
    expect(auditButtonBlockedReason({ engineLoaded: false, progress: null, openCaseId: 'x', seqOf: () => 1 })).toMatch(
      /Load a model/,
    );
  });
});
