import { forwardRef, useImperativeHandle, useRef } from 'react';
import type { CaseDetail } from '@domain/cases';
import { CATEGORIES, type Category, type RiskLevel } from '@domain/types';
import { riskLabel } from '../lib/format';
import { RISK_KEYS } from '../lib/keys';

export interface Draft {
  risk: RiskLevel | null;
  category: Category | null;
  analysis: string;
  note: string;
}

export function draftFor(detail: CaseDetail): Draft {
  const review = detail.currentReview;
  const audit = detail.latestAudit;
  return {
    risk: review?.risk ?? null,
    category: review?.category ?? audit?.category ?? null,
    analysis: review?.analysis ?? audit?.analysis ?? '',
    note: '',
  };
}

export interface DecisionPanelHandle {
  focus(field: 'category' | 'analysis' | 'note'): void;
}

const RISK_BUTTON_STYLES: Record<string, string> = {
  '0': 'aria-pressed:border-emerald-600 aria-pressed:bg-emerald-600 aria-pressed:text-white',
  '0.5': 'aria-pressed:border-amber-600 aria-pressed:bg-amber-600 aria-pressed:text-white',
  '1': 'aria-pressed:border-rose-600 aria-pressed:bg-rose-600 aria-pressed:text-white',
};

export const DecisionPanel = forwardRef<
  DecisionPanelHandle,
  {
    detail: CaseDetail;
    draft: Draft;
    onChange: (draft: Draft) => void;
    onSubmit: () => void;
    onAccept: () => void;
    onUndo: () => void;
    busy: boolean;
    reviewer: string;
    selectedCount: number;
    onBulkAccept: () => void;
  }
>(function DecisionPanel(
  { detail, draft, onChange, onSubmit, onAccept, onUndo, busy, reviewer, selectedCount, onBulkAccept },
  ref,
) {
  const categoryRef = useRef<HTMLSelectElement>(null);
  const analysisRef = useRef<HTMLTextAreaElement>(null);
  const noteRef = useRef<HTMLInputElement>(null);
  useImperativeHandle(ref, () => ({
    focus(field) {
      ({ category: categoryRef, analysis: analysisRef, note: noteRef })[field].current?.focus();
    },
  }));
  const audit = detail.latestAudit;
  const canAccept = audit?.status === 'ok' && audit.risk !== null;
  const leaveOnEscape = (e: React.KeyboardEvent<HTMLElement>) => {
    if (e.key === 'Escape') {
      e.preventDefault();
      (e.currentTarget as HTMLElement).blur();
    }
  };

  return (
    <form
      aria-label="Decision"
      data-testid="decision-panel"
      className="flex flex-col gap-3 p-3"
      onSubmit={(e) => {
        e.preventDefault();
        onSubmit();
      }}
    >
      <fieldset>
        <legend className="label mb-1.5">Risk level</legend>
        <div className="grid grid-cols-3 gap-1.5">
          {RISK_KEYS.map(({ key, risk }) => (
            <button
              key={key}
              type="button"
              aria-pressed={draft.risk === risk}
              data-testid={`risk-${risk}`}
              className={`btn flex-col !items-start !gap-0 py-1.5 ${RISK_BUTTON_STYLES[`${risk}`]}`}
              onClick={() => onChange({ ...draft, risk })}
            >
              <span className="flex w-full items-center justify-between">
                <span>{riskLabel(risk)}</span>
                <kbd>{key}</kbd>
              </span>
              <span className="text-[10px] opacity-70">risk {risk}</span>
            </button>
          ))}
        </div>
      </fieldset>

      <button
        type="button"
        className="btn justify-between"
        disabled={!canAccept || busy}
        onClick={onAccept}
        data-testid="accept-model"
      >
        <span>
          Accept model
          {canAccept
            ? `: ${riskLabel(audit!.risk)}`
            : audit?.status === 'parse_failure'
              ? ' (parse failure)'
              : ' (no verdict)'}
        </span>
        <kbd>A</kbd>
      </button>

      <label className="flex flex-col gap-1">
        <span className="label flex justify-between">
          Category <kbd>C</kbd>
        </span>
        <select
          ref={categoryRef}
          className="field"
          value={draft.category ?? ''}
          data-testid="category-select"
          onKeyDown={leaveOnEscape}
          onChange={(e) => onChange({ ...draft, category: (e.target.value || null) as Category | null })}
        >
          <option value="">— none —</option>
          {CATEGORIES.map((c) => (
            <option key={c} value={c}>
              {c}
            </option>
          ))}
        </select>
      </label>

      <label className="flex flex-col gap-1">
        <span className="label flex justify-between">
          Analysis <kbd>E</kbd>
        </span>
        <textarea
          ref={analysisRef}
          className="field min-h-[140px] resize-y leading-snug"
          value={draft.analysis}
          data-testid="analysis-input"
          placeholder="Pre-filled with the model's analysis; edit it to record yours."
          onKeyDown={(e) => {
            leaveOnEscape(e);
            if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
              e.preventDefault();
              onSubmit();
            }
          }}
          onChange={(e) => onChange({ ...draft, analysis: e.target.value })}
        />
      </label>

      <label className="flex flex-col gap-1">
        <span className="label flex justify-between">
          Note <kbd>N</kbd>
        </span>
        <input
          ref={noteRef}
          className="field"
          value={draft.note}
          data-testid="note-input"
          placeholder="Optional note for the activity log"
          onKeyDown={leaveOnEscape}
          onChange={(e) => onChange({ ...draft, note: e.target.value })}
        />
      </label>

      <button
        type="submit"
        className="btn btn-primary justify-between py-1.5"
        disabled={draft.risk === null || busy}
        data-testid="submit-next"
      >
        <span>Submit &amp; next</span>
        <kbd>Enter</kbd>
      </button>
      <div className="flex gap-1.5">
        <button
          type="button"
          className="btn flex-1 justify-between"
          onClick={onUndo}
          disabled={busy}
          data-testid="undo-last"
        >
          <span>Undo my last</span>
          <kbd>U</kbd>
        </button>
        <button
          type="button"
          className="btn flex-1 justify-between"
          onClick={onBulkAccept}
          disabled={selectedCount === 0 || busy}
          data-testid="bulk-accept"
        >
          <span>Accept {selectedCount} selected</span>
          <kbd>⇧A</kbd>
        </button>
      </div>
      <p className="text-[11px] text-zinc-500">
        Deciding as <strong>{reviewer || '…'}</strong>. Every decision and undo is kept in the activity log.
      </p>
    </form>
  );
});
