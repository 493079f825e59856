// The Audit screen's option to locate the first flagged step of every case a batch judges 0.5 or 1, with its cost
// (docs/step-localization.md). Off by default.
import type { Settings } from '@domain/settings';
import { maxProbes } from '@domain/step-localization';

export function LocateInBatchOption({
  settings,
  onSettings,
}: {
  settings: Settings;
  onSettings: (patch: Partial<Settings>) => Promise<void>;
}) {
  return (
    <label className="flex items-start gap-2" data-testid="locate-in-batch">
      <input
        type="checkbox"
        className="mt-0.5"
        checked={settings.locateFlaggedInBatch}
        onChange={(e) => void onSettings({ locateFlaggedInBatch: e.target.checked })}
      />
      <span>
        Then locate the first flagged step of each case judged 0.5 or 1
        <span className="block text-[11px] text-zinc-600 dark:text-zinc-400">
          Costs up to ⌈log₂ N⌉ + 1 extra generations per such case, N its trace steps ({maxProbes(10)} for 10 steps,{' '}
          {maxProbes(40)} for 40, {maxProbes(200)} for 200), after the batch. Never changes a verdict.
        </span>
      </span>
    </label>
  );
}
