// Says plainly, where audits are started, that a smaller image budget makes verdicts differ from the published evaluation.
import { imageBudgetWarning } from '@domain/fidelity';

export function ImageBudgetNotice({ maxPixels }: { maxPixels: number }) {
  const warning = imageBudgetWarning(maxPixels);
  if (!warning) return null;
  return (
    <p className="text-[12px] text-amber-700 dark:text-amber-300" role="note" data-testid="image-budget-warning">
      {warning}
    </p>
  );
}
