// How far a verdict can be trusted, beside it: the model's confidence where the engine measured one ("no confidence"
// with the reason where it could not), and why a verdict is not the reference recipe when a check found so.
import type { AuditRecord } from '@domain/audits';
import { percent } from '../lib/format';

/** p(chosen level) when the engine reported per-level probabilities; null otherwise. */
export function confidenceOf(audit: AuditRecord): number | null {
  if (!audit.levelProbs || audit.risk === null) return null;
  const p = audit.levelProbs[String(audit.risk)];
  return typeof p === 'number' && Number.isFinite(p) ? p : null;
}

/** "confidence 87%", or "no confidence" (reason on hover and for screen readers) for a verdict without one. */
export function ConfidenceLabel({ audit }: { audit: AuditRecord }) {
  if (audit.risk === null) return null;
  const confidence = confidenceOf(audit);
  const className = 'text-[12px] text-zinc-700 dark:text-zinc-300';
  if (confidence !== null)
    return (
      <span className={className} data-testid="verdict-confidence">
        confidence {percent(confidence, 0)}
      </span>
    );
  const why = audit.levelProbsNote ?? 'the engine reported no probabilities';
  return (
    <span className={className} title={why} data-testid="verdict-no-confidence">
      no confidence<span className="sr-only">: {why}</span>
    </span>
  );
}

/** A line under the verdict when a check found its input differs from the published evaluation's. */
export function NotReferenceNote({ audit }: { audit: AuditRecord }) {
  const reason = audit.provenance?.notReferenceReason;
  if (!reason) return null;
  return (
    <span
      className="min-w-0 basis-full text-[12px] text-amber-800 dark:text-amber-200"
      data-testid="verdict-not-reference"
    >
      <strong>Not the reference recipe:</strong> {reason}.
    </span>
  );
}
