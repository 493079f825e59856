import { forwardRef, useEffect, useImperativeHandle, useRef } from 'react';
import type { CaseDetail } from '@domain/cases';
import { differsFromModel } from '@domain/review-analysis';
import { CATEGORIES, type Category, type RiskLevel } from '@domain/types';
import { riskLabel } from '../lib/format';
import { keyOf, RISK_SHORTCUTS, type ShortcutId } from '../lib/keys';

export interface Draft {
  risk: RiskLevel | null;
  category: Category | null;
  analysis: string;
  note: string;
  /** Why the moderator overrode the model, in a line; stored as the decision's analysis (the training target's). */
  rationale: string;
}

/** The starting draft: the decision in force, else the model's category and analysis (none when reviewing blind). */
export function draftFor(detail: CaseDetail, blind = false): Draft {
  const review = detail.currentReview;
  const audit = blind ? null : detail.latestAudit;
  return {
    risk: review?.risk ?? null,
    category: review?.category ?? audit?.category ?? null,
    analysis: review?.analysis ?? audit?.analysis ?? '',
    note: '',
    rationale: '',
  };
}

/** The analysis a decision is stored with: the override's rationale when one was written, else the analysis field. */
export function analysisToStore(draft: Draft): string | null {
  return draft.rationale.trim() || draft.analysis || null;
}

/**
 * True when the draft overrides the model (another risk or category, or the model's output had no verdict) and
 * nothing the moderator wrote would be stored as its analysis: the training exports would leave it out.
 */
export function overrideNeedsRationale(detail: CaseDetail, draft: Draft): boolean {
  const audit = detail.latestAudit;
  if (!audit || draft.risk === null) return false;
  if (!differsFromModel(draft, audit.status === 'ok' ? audit : null)) return false;
  return !draft.analysis.trim() || analysisNoLongerStands(detail, draft);
}

/** True when the draft still carries the model's analysis unedited under a different risk or category. */
export function analysisNoLongerStands(detail: CaseDetail, draft: Draft): boolean {
  const audit = detail.latestAudit;
  if (!audit?.analysis?.trim() || draft.risk === null) return false;
  return draft.analysis.trim() === audit.analysis.trim() && differsFromModel(draft, audit);
}

export interface DecisionPanelHandle {
  /** 'analysis' focuses the rationale line while an override asks for one. */
  focus(field: 'category' | 'analysis' | 'note'): void;
}

/** The chosen risk's look, shared by the review and adjudication screens. */
export const RISK_BUTTON_STYLES: Record<string, string> = {
  '0': 'aria-pressed:border-emerald-700 aria-pressed:bg-emerald-700 aria-pressed:text-white aria-pressed:ring-emerald-700',
  '0.5': 'aria-pressed:border-amber-600 aria-pressed:bg-amber-400 aria-pressed:text-black aria-pressed:ring-amber-600',
  '1': 'aria-pressed:border-rose-700 aria-pressed:bg-rose-700 aria-pressed:text-white aria-pressed:ring-rose-700',
};

/** A field's heading with the key that focuses it. */
function FieldHeading({ shortcut, children }: { shortcut: ShortcutId; children: React.ReactNode }) {
  return (
    <span className="label flex justify-between">
      <span>{children}</span>
      <kbd>{keyOf(shortcut)}</kbd>
    </span>
  );
}

/** A reason shown to everyone: as the button's tooltip and, for screen readers, through aria-describedby. */
function DisabledReason({ id, reason }: { id: string; reason: string | null }) {
  return reason ? (
    <span id={id} className="sr-only">
      {reason}
    </span>
  ) : null;
}

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
    onClearSelection: () => void;
    /** Blind review and no choice made yet: the model's verdict stays hidden. */
    modelHidden: boolean;
  }
>(function DecisionPanel(
  {
    detail,
    draft,
    onChange,
    onSubmit,
    onAccept,
    onUndo,
    busy,
    reviewer,
    selectedCount,
    onBulkAccept,
    onClearSelection,
    modelHidden,
  },
  ref,
) {
  const categoryRef = useRef<HTMLSelectElement>(null);
  const analysisRef = useRef<HTMLTextAreaElement>(null);
  const noteRef = useRef<HTMLInputElement>(null);
  const rationaleRef = useRef<HTMLInputElement>(null);
  const askRationale = !modelHidden && overrideNeedsRationale(detail, draft);
  useImperativeHandle(ref, () => ({
    focus(field) {
      if (field === 'analysis' && rationaleRef.current) return rationaleRef.current.focus();
      ({ category: categoryRef, analysis: analysisRef, note: noteRef })[field].current?.focus();
    },
  }));
  // An override (a risk chosen that is not the model's) moves focus to the rationale line: type a reason and
  // Enter submits it as the analysis; Enter alone submits without one; Esc skips and the keys work again.
  const lastChoice = useRef({ caseId: detail.id, risk: draft.risk });
  useEffect(() => {
    const before = lastChoice.current;
    lastChoice.current = { caseId: detail.id, risk: draft.risk };
    if (before.caseId === detail.id && before.risk !== draft.risk && askRationale) rationaleRef.current?.focus();
  }, [detail.id, draft.risk, askRationale]);
  const audit = detail.latestAudit;
  const canAccept = audit?.status === 'ok' && audit.risk !== null && !modelHidden;
  const leaveOnEscape = (e: React.KeyboardEvent<HTMLElement>) => {
    if (e.key === 'Escape') {
      e.preventDefault();
      (e.currentTarget as HTMLElement).blur();
    }
  };
  const stale = !modelHidden && analysisNoLongerStands(detail, draft);
  const busyReason = busy ? 'Saving the previous decision…' : null;
  const acceptReason =
    busyReason ??
    (modelHidden
      ? 'Blind review: the model’s verdict shows after your first choice.'
      : !audit
        ? 'The model has not audited this case.'
        : audit.status === 'parse_failure'
          ? 'The model’s output could not be read (parse failure), so there is no verdict to accept.'
          : null);
  const submitReason = busyReason ?? (draft.risk === null ? 'Pick a risk level first (1, 2 or 3).' : null);
  const bulkReason = busyReason ?? (selectedCount === 0 ? 'Select cases first (X, or the row checkboxes).' : null);

  return (
    <form
      aria-label="Decision"
      data-testid="decision-panel"
      // Docked below the case (under 1,200 px) the panel is three short columns, so the case keeps most of the
      // height: the risk and category, the analysis and note, then the buttons. In the side column they stack.
      className="grid grid-cols-3 gap-x-3 gap-y-2 p-2 min-[1200px]:grid-cols-1 min-[1200px]:p-3"
      onSubmit={(e) => {
        e.preventDefault();
        onSubmit();
      }}
    >
      <div className="flex min-w-0 flex-col gap-2">
        <fieldset>
          <legend className="label mb-1">Risk level</legend>
          <div className="grid grid-cols-3 gap-1.5">
            {RISK_SHORTCUTS.map(({ key, risk }) => {
              const chosen = draft.risk === risk;
              return (
                <button
                  key={key}
                  type="button"
                  aria-pressed={chosen}
                  data-testid={`risk-${risk}`}
                  className={`btn min-w-0 flex-col !items-start !gap-0 py-1 aria-pressed:ring-2 aria-pressed:ring-offset-1 dark:aria-pressed:ring-offset-zinc-900 ${RISK_BUTTON_STYLES[`${risk}`]}`}
                  onClick={() => onChange({ ...draft, risk })}
                >
                  <span className="w-full text-left leading-tight">
                    {chosen && <span aria-hidden>✓ </span>}
                    {riskLabel(risk)}
                  </span>
                  <span className="mt-auto flex w-full items-center justify-between gap-1 text-[10.5px]">
                    risk {risk}
                    <kbd>{key}</kbd>
                  </span>
                </button>
              );
            })}
          </div>
        </fieldset>
        <p
          className={`rounded px-2 py-1 text-[12.5px] ${
            draft.risk === null
              ? 'bg-zinc-100 text-zinc-700 dark:bg-zinc-800 dark:text-zinc-300'
              : 'bg-sky-50 font-semibold text-zinc-900 dark:bg-sky-950 dark:text-zinc-100'
          }`}
          data-testid="your-decision"
          aria-live="polite"
        >
          {draft.risk === null ? (
            <>Your decision: not made yet (1, 2 or 3)</>
          ) : (
            <>
              <span aria-hidden>✓ </span>Your decision: {riskLabel(draft.risk)}
              {draft.category ? ` · ${draft.category}` : ''}
            </>
          )}
        </p>
        <label className="flex flex-col gap-1">
          <FieldHeading shortcut="decision.category">
            Category{draft.category && <span aria-hidden> ✓</span>}
          </FieldHeading>
          <select
            ref={categoryRef}
            className={`field ${draft.category ? 'border-sky-700 ring-1 ring-sky-700 dark:border-sky-400 dark:ring-sky-400' : ''}`}
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
      </div>

      <div className="flex min-w-0 flex-col gap-2">
        <label className="flex flex-col gap-1">
          <FieldHeading shortcut="decision.analysis">Analysis</FieldHeading>
          <textarea
            ref={analysisRef}
            className={`field min-h-[52px] resize-y leading-snug min-[1200px]:min-h-[140px] ${
              stale ? 'border-amber-600 text-zinc-600 line-through dark:border-amber-400 dark:text-zinc-400' : ''
            }`}
            value={draft.analysis}
            data-testid="analysis-input"
            aria-describedby={stale ? 'analysis-stale' : undefined}
            placeholder={
              modelHidden
                ? 'Blind review: write your own analysis, or leave it empty.'
                : "Pre-filled with the model's analysis; edit it to record yours."
            }
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
        {stale && (
          <p
            id="analysis-stale"
            className="rounded border border-amber-600/60 bg-amber-50 px-2 py-1 text-[12px] text-amber-950 dark:bg-amber-950 dark:text-amber-100"
            data-testid="analysis-withheld"
          >
            The model’s analysis argues for {riskLabel(audit!.risk)}
            {audit!.category ? ` / ${audit!.category}` : ''}. Edit it (E), or your decision is stored without an
            analysis.
          </p>
        )}
        {(askRationale || draft.rationale) && (
          <label className="flex flex-col gap-1" data-testid="rationale">
            <span className="label flex justify-between">
              <span>Why you overrode the model</span>
              <span className="normal-case">
                <kbd>Enter</kbd> submit · <kbd>Esc</kbd> skip
              </span>
            </span>
            <input
              ref={rationaleRef}
              className="field border-amber-600 dark:border-amber-400"
              value={draft.rationale}
              data-testid="rationale-input"
              placeholder="One line; it becomes the training target's analysis"
              onKeyDown={leaveOnEscape}
              onChange={(e) => onChange({ ...draft, rationale: e.target.value })}
            />
          </label>
        )}
        <label className="flex flex-col gap-1">
          <FieldHeading shortcut="decision.note">Note</FieldHeading>
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
      </div>

      <div className="flex min-w-0 flex-col gap-2">
        <button
          type="submit"
          className="btn btn-primary justify-between py-1.5"
          disabled={draft.risk === null || busy}
          title={submitReason ?? undefined}
          aria-describedby={submitReason ? 'submit-reason' : undefined}
          data-testid="submit-next"
        >
          <span>Submit &amp; next</span>
          <kbd>{keyOf('decision.submit')}</kbd>
        </button>
        <DisabledReason id="submit-reason" reason={submitReason} />
        <button
          type="button"
          className="btn justify-between"
          disabled={!canAccept || busy}
          title={acceptReason ?? undefined}
          aria-describedby={acceptReason ? 'accept-reason' : undefined}
          onClick={onAccept}
          data-testid="accept-model"
        >
          <span className="min-w-0 truncate">
            Accept model
            {canAccept
              ? `: ${riskLabel(audit!.risk)}`
              : modelHidden
                ? ' (hidden)'
                : audit?.status === 'parse_failure'
                  ? ' (parse failure)'
                  : ' (no verdict)'}
          </span>
          <kbd>{keyOf('decision.accept')}</kbd>
        </button>
        <DisabledReason id="accept-reason" reason={acceptReason} />
        <div className="flex flex-wrap gap-1.5">
          <button
            type="button"
            className="btn flex-1 justify-between"
            onClick={onUndo}
            disabled={busy}
            title={busyReason ?? 'Takes back your last decision and opens that case'}
            data-testid="undo-last"
          >
            <span>Undo my last</span>
            <kbd>{keyOf('decision.undo')}</kbd>
          </button>
          <button
            type="button"
            className="btn flex-1 justify-between"
            onClick={onBulkAccept}
            disabled={selectedCount === 0 || busy}
            title={bulkReason ?? `Accepts the model's verdict on the ${selectedCount} selected case(s)`}
            aria-describedby={bulkReason ? 'bulk-reason' : undefined}
            data-testid="bulk-accept"
          >
            <span>Accept {selectedCount} selected</span>
            <kbd>⇧A</kbd>
          </button>
          <DisabledReason id="bulk-reason" reason={bulkReason} />
          {selectedCount > 0 && (
            <button type="button" className="btn" onClick={onClearSelection} data-testid="clear-selection">
              Clear selection
            </button>
          )}
        </div>
        <p className="hidden text-[11.5px] text-zinc-600 min-[1200px]:block dark:text-zinc-400">
          Deciding as <strong>{reviewer || '…'}</strong>. Every decision and undo is kept in the activity log.
        </p>
      </div>
    </form>
  );
});
