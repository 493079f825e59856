// The sample workspace's verdicts were written by hand: wherever a verdict is shown, this says so, so nobody takes
// the sample for a model's judgment.
import type { AuditRecord } from '@domain/audits';
import { isDemoVerdict } from '@domain/demo';

export function DemoVerdictBadge({ audit }: { audit: AuditRecord }) {
  if (!isDemoVerdict(audit)) return null;
  return (
    <span
      data-testid="demo-verdict-badge"
      title="Sample workspace: this verdict was written by hand for the demo. No model produced it."
      className="rounded border border-violet-600/60 bg-violet-500/10 px-1.5 py-px text-[11px] font-semibold text-violet-800 uppercase dark:text-violet-200"
    >
      Demo verdict · not a model
    </span>
  );
}
