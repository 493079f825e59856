// Practice mode (docs/quality.md): after each decision the trainee sees the gold answer, its explanation and the
// model's verdict; at the end, accuracy per category and the cases missed. Enter or Esc moves on.
import { useEffect, useRef } from 'react';
import type { PracticeFeedback, PracticeSummary } from '@domain/practice';
import { RiskBadge } from '../badges';
import { Dialog } from '../Dialog';

const pct = (share: number | null) => (share === null ? '–' : `${Math.round(share * 100)}%`);

function ContinueButton({ onClose, label = 'Continue' }: { onClose: () => void; label?: string }) {
  const ref = useRef<HTMLButtonElement>(null);
  const onCloseRef = useRef(onClose);
  onCloseRef.current = onClose;
  useEffect(() => {
    // Enter moves on wherever focus is in the dialog (the Dialog puts focus on itself when it opens).
    const onKey = (e: KeyboardEvent) => {
      if (e.key !== 'Enter' || e.repeat) return;
      e.preventDefault();
      e.stopPropagation();
      onCloseRef.current();
    };
    window.addEventListener('keydown', onKey, true);
    return () => window.removeEventListener('keydown', onKey, true);
  }, []);
  return (
    <button ref={ref} type="button" className="btn btn-primary" onClick={onClose} data-testid="practice-continue">
      {label} <kbd>Enter</kbd>
    </button>
  );
}

export function PracticeFeedbackDialog({ feedback, onClose }: { feedback: PracticeFeedback; onClose: () => void }) {
  return (
    <Dialog label="Practice: the answer" onClose={onClose} className="w-[560px]" testId="practice-feedback">
      <div className="flex flex-col gap-3">
        <h2 className="text-[16px] font-semibold" data-testid="practice-verdict">
          {feedback.correct ? 'Right: the same level as gold' : 'Not the gold level'}
        </h2>
        <dl className="grid grid-cols-[120px_minmax(0,1fr)] gap-x-3 gap-y-2 text-[13px]">
          <dt className="font-medium">Your decision</dt>
          <dd className="flex flex-wrap items-center gap-2">
            <RiskBadge risk={feedback.given?.risk ?? null} />
            {feedback.given?.category}
          </dd>
          <dt className="font-medium">Gold answer</dt>
          <dd className="flex flex-wrap items-center gap-2" data-testid="practice-gold">
            <RiskBadge risk={feedback.gold.risk} />
            {feedback.gold.category}
          </dd>
          <dt className="font-medium">Why</dt>
          <dd data-testid="practice-explanation">{feedback.gold.explanation ?? 'No explanation was given.'}</dd>
          <dt className="font-medium">The model</dt>
          <dd className="flex flex-col gap-1">
            {feedback.model?.risk !== undefined && feedback.model?.risk !== null ? (
              <span className="flex flex-wrap items-center gap-2">
                <RiskBadge risk={feedback.model.risk} />
                {feedback.model.category}
              </span>
            ) : (
              'No model verdict.'
            )}
            {feedback.model?.analysis && (
              <span className="text-[12px] text-zinc-700 dark:text-zinc-300">{feedback.model.analysis}</span>
            )}
          </dd>
        </dl>
        <div className="flex justify-end">
          <ContinueButton onClose={onClose} />
        </div>
      </div>
    </Dialog>
  );
}

export function PracticeSummaryDialog({ summary, onClose }: { summary: PracticeSummary; onClose: () => void }) {
  return (
    <Dialog label="Practice summary" onClose={onClose} className="w-[600px]" testId="practice-summary">
      <div className="flex flex-col gap-3">
        <h2 className="text-[16px] font-semibold">Practice summary</h2>
        <p data-testid="practice-summary-total">
          {summary.decided} of {summary.total} cases decided · {pct(summary.accuracy)} at the gold level
        </p>
        <table className="text-[13px]">
          <thead>
            <tr className="text-left">
              <th className="p-1">Category (gold)</th>
              <th className="p-1 text-right">Cases</th>
              <th className="p-1 text-right">Right</th>
            </tr>
          </thead>
          <tbody>
            {summary.byCategory.map((row) => (
              <tr key={row.category} className="border-t border-zinc-200 dark:border-zinc-800">
                <th scope="row" className="p-1 text-left font-normal">
                  {row.category === 'none' ? 'No category' : row.category}
                </th>
                <td className="p-1 text-right tabular-nums">{row.n}</td>
                <td className="p-1 text-right tabular-nums">{pct(row.accuracy)}</td>
              </tr>
            ))}
          </tbody>
        </table>
        {summary.missed.length > 0 && (
          <div>
            <h3 className="label mb-1">Cases missed</h3>
            <ul className="flex flex-col gap-0.5 font-mono text-[12px]" data-testid="practice-missed">
              {summary.missed.map((miss) => (
                <li key={miss.caseId}>
                  {miss.caseId}: gold {miss.goldRisk}, you gave {miss.givenRisk}
                </li>
              ))}
            </ul>
          </div>
        )}
        <div className="flex justify-end">
          <ContinueButton onClose={onClose} label="Close" />
        </div>
      </div>
    </Dialog>
  );
}
