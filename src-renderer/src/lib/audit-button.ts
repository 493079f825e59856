// Why a case's Audit button cannot be pressed now, in words that say what the runner is really doing.
import type { AuditProgress } from '@domain/audits';

export interface AuditButtonState {
  engineLoaded: boolean;
  progress: AuditProgress | null;
  /** The case on screen. */
  openCaseId: string | undefined;
  /** A case's queue number, when its row is loaded (undefined otherwise). */
  seqOf: (caseId: string) => number | undefined;
}

/** The reason the Audit button is disabled, or null when it can start an audit. */
export function auditButtonBlockedReason({
  engineLoaded,
  progress,
  openCaseId,
  seqOf,
}: AuditButtonState): string | null {
  if (!engineLoaded) return 'Load a model in the Audit runner (Ctrl+2) first.';
  if (!progress || (progress.state !== 'running' && progress.state !== 'cancelling')) return null;
  const auditing = progress.inFlightCaseIds?.[0] ?? progress.currentCaseId ?? progress.priorityCaseId ?? null;
  const thisCase = 'This case is being audited now (audit on open); its analysis streams into the case.';
  if (progress.auditOnOpenOnly) {
    // No batch: the runner is auditing a case the moderator opened, most often the one opened just before this.
    if (auditing === null || auditing === openCaseId) return thisCase;
    const seq = seqOf(auditing);
    const which = seq === undefined ? 'The case you opened before this one' : `Case #${seq}, opened before this one,`;
    return `${which} is being audited on open; audit this case once it is done.`;
  }
  if (progress.priorityCaseId && progress.priorityCaseId === openCaseId) return thisCase;
  return 'An audit batch is running; pause or cancel it first.';
}
