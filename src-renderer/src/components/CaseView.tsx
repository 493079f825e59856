// Everything the model saw and said for one case. All case text is rendered as React text nodes, never as HTML.
import { useEffect, useRef, useState } from 'react';
import type { ActivityLogEntry } from '@domain/activity-log';
import type { AuditRecord } from '@domain/audits';
import type { CaseDetail } from '@domain/cases';
import { api } from '../api';
import { dateTime, riskLabel, summarizeValue, withQueueNumber } from '../lib/format';
import { useStreamedText } from '../lib/stream-store';
import { RiskBadge } from './badges';
import { DemoVerdictBadge } from './quality/DemoVerdictBadge';
import { imageProtection, useImageCare } from './quality/image-care';
import { CaseText } from './CaseText';
import { LocatedStepNote, TraceSteps } from './TraceSteps';
import { ConfidenceLabel, NotReferenceNote } from './VerdictTrust';
import { ReferenceEvalNote } from './ReferenceEvalNote';

/** The case's sections, in order; keys jump between them (see the shortcut table). */
export const CASE_SECTIONS = {
  query: 'case-section-query',
  trace: 'case-section-trace',
  response: 'case-section-response',
  analysis: 'model-analysis',
} as const;

export function CaseView({
  detail,
  revealed,
  onToggleReveal,
  blurImages,
  grayscaleImages,
  searchWords,
  modelHidden,
  reaudit,
}: {
  detail: CaseDetail;
  revealed: boolean;
  onToggleReveal: () => void;
  blurImages: boolean;
  grayscaleImages: boolean;
  searchWords: string[];
  /** Blind review before the first choice: the model's verdict, analysis and the gold label stay hidden. */
  modelHidden: boolean;
  /** Audits this case again; disabled with the reason when it cannot run now. */
  reaudit: { run: () => void; disabledReason: string | null };
}) {
  const audit = detail.latestAudit;
  const streamed = useStreamedText(detail.id);
  return (
    <article className="flex flex-col gap-3 p-3" aria-label={`Case ${detail.seq}`} data-testid="case-view">
      <header className="flex flex-wrap items-center gap-x-2 gap-y-1">
        <h2 className="text-[15px] font-semibold">Case #{detail.seq}</h2>
        <span className="font-mono text-[11px] break-all text-zinc-600 dark:text-zinc-400" title="Case id">
          {detail.id}
        </span>
        <span className="text-[11px] break-all text-zinc-600 dark:text-zinc-400">
          {detail.sourceFile} · record {detail.sourceRecord}
        </span>
        <span className="ml-auto flex flex-wrap items-center gap-2">
          {detail.gold !== null && !modelHidden && <RiskBadge risk={detail.gold} prefix="Gold" testId="gold-badge" />}
          {detail.currentReview && (
            <RiskBadge
              risk={detail.currentReview.risk}
              prefix={`Human (${detail.currentReview.reviewer})`}
              testId="human-badge"
            />
          )}
        </span>
      </header>

      <VerdictStrip
        detail={detail}
        audit={audit}
        streaming={streamed !== null}
        modelHidden={modelHidden}
        reaudit={reaudit}
      />

      {(detail.image || detail.imageMissing) && (
        <CaseImage
          detail={detail}
          revealed={revealed}
          onToggle={onToggleReveal}
          blur={blurImages}
          grayscale={grayscaleImages}
        />
      )}

      <Section title="User query" id={CASE_SECTIONS.query}>
        <CaseText text={detail.query} words={searchWords} testId="case-query" />
        <ReferenceEvalNote meta={detail.meta} />
      </Section>

      <Section title="Reasoning trace" id={CASE_SECTIONS.trace}>
        <TraceSteps caseId={detail.id} trace={detail.thinking} words={searchWords} modelHidden={modelHidden} />
      </Section>

      <Section title="Final response" id={CASE_SECTIONS.response}>
        <CaseText text={detail.response} words={searchWords} testId="case-response" />
      </Section>

      <Section title="Model analysis" id={CASE_SECTIONS.analysis} testId="model-analysis">
        {modelHidden ? (
          <p className="text-zinc-600 dark:text-zinc-400">Hidden until your first choice (blind review).</p>
        ) : (
          <ModelAnalysis detail={detail} audit={audit} streamed={streamed} />
        )}
      </Section>

      <Section title={`History (${detail.history.length})`}>
        <History entries={detail.history} />
      </Section>
    </article>
  );
}

/** Why a parse failure has no verdict, in words that match what the model wrote (whitespace is not "nothing"). */
function parseFailureText(audit: AuditRecord): string {
  return audit.rawOutput.trim() === '' && audit.generatedTokens > 0
    ? `The model wrote ${audit.generatedTokens} tokens, all of them whitespace: there is no verdict to read.`
    : (audit.parseError ?? 'The model output has no readable verdict.');
}

function firstLine(text: string): string {
  return text.trim().split('\n')[0] ?? '';
}

/** The verdict at the top of the case, before the long texts: risk, category, confidence, one line of analysis. */
function VerdictStrip({
  detail,
  audit,
  streaming,
  modelHidden,
  reaudit,
}: {
  detail: CaseDetail;
  audit: AuditRecord | null;
  streaming: boolean;
  modelHidden: boolean;
  reaudit: { run: () => void; disabledReason: string | null };
}) {
  const failure = detail.auditFailure;
  const canReaudit = !audit || audit.status === 'parse_failure' || failure !== null;
  return (
    <section
      className="panel flex flex-wrap items-center gap-x-3 gap-y-1 px-3 py-2"
      aria-label="Model verdict"
      data-testid="verdict-strip"
    >
      {modelHidden ? (
        <span className="text-zinc-700 dark:text-zinc-300">
          Blind review: the model’s verdict shows after your first choice.
        </span>
      ) : streaming ? (
        <span className="font-medium text-sky-700 dark:text-sky-300">The model is writing its analysis…</span>
      ) : !audit ? (
        <span className="text-zinc-700 dark:text-zinc-300">{failure ? '' : 'Not audited yet.'}</span>
      ) : (
        <>
          <RiskBadge
            risk={audit.risk}
            parseFailure={audit.status === 'parse_failure'}
            size="lg"
            testId="verdict-badge"
          />
          <DemoVerdictBadge audit={audit} />
          {audit.category && (
            <span
              className="rounded border border-zinc-300 px-1.5 py-px text-[12px] dark:border-zinc-700"
              data-testid="verdict-category"
            >
              {audit.category}
            </span>
          )}
          <LocatedStepNote caseId={detail.id} hidden={modelHidden} />
          <ConfidenceLabel audit={audit} />
          <span className="min-w-0 flex-1 basis-64 truncate text-[12.5px] text-zinc-700 dark:text-zinc-300">
            {audit.status === 'parse_failure'
              ? parseFailureText(audit)
              : audit.analysis
                ? firstLine(audit.analysis)
                : 'No analysis written.'}
          </span>
          <NotReferenceNote audit={audit} />
        </>
      )}
      {failure && !modelHidden && !streaming && (
        <span className="min-w-0 basis-full text-rose-800 dark:text-rose-200" data-testid="audit-failure">
          <strong>{failure.kind === 'truncated' ? 'Audit cut off' : 'Audit failed'}:</strong>{' '}
          {withQueueNumber(failure.reason, detail.id, detail.seq)}
        </span>
      )}
      {canReaudit && !modelHidden && (
        <button
          type="button"
          className="btn ml-auto py-0.5"
          onClick={reaudit.run}
          disabled={reaudit.disabledReason !== null}
          title={reaudit.disabledReason ?? 'Audit this case again with the loaded model'}
          aria-describedby={reaudit.disabledReason ? 'reaudit-reason' : undefined}
          data-testid="reaudit"
        >
          {audit || failure ? 'Re-audit' : 'Audit'}
        </button>
      )}
      {reaudit.disabledReason && canReaudit && !modelHidden && (
        <span id="reaudit-reason" className="sr-only">
          {reaudit.disabledReason}
        </span>
      )}
    </section>
  );
}

function ModelAnalysis({
  detail,
  audit,
  streamed,
}: {
  detail: CaseDetail;
  audit: AuditRecord | null;
  streamed: string | null;
}) {
  if (streamed !== null) {
    return (
      <div aria-live="polite" data-testid="analysis-streaming">
        <p className="mb-1 text-[11px] font-medium text-sky-700 dark:text-sky-300">Writing…</p>
        <p className="case-text font-mono text-[12px]">{streamed}</p>
      </div>
    );
  }
  if (!audit) {
    return (
      <p className="text-zinc-600 dark:text-zinc-400">
        {detail.auditFailure
          ? `No verdict: ${withQueueNumber(detail.auditFailure.reason, detail.id, detail.seq)}`
          : 'Not audited yet. Load a model in the Audit runner (Ctrl+2), or use Audit above.'}
      </p>
    );
  }
  const blankOutput = audit.rawOutput.trim() === '';
  return (
    <div className="flex flex-col gap-2">
      <div className="flex flex-wrap items-center gap-2">
        {audit.imageMissing && (
          <span className="rounded border border-amber-600/50 px-1.5 py-px text-[11px] text-amber-800 dark:text-amber-200">
            model saw: image missing or unavailable
          </span>
        )}
        {!audit.promptHashOk && (
          <span className="rounded border border-rose-600/50 px-1.5 py-px text-[11px] text-rose-800 dark:text-rose-200">
            non-standard prompt
          </span>
        )}
      </div>
      {audit.analysis && <p className="case-text">{audit.analysis}</p>}
      {audit.status === 'parse_failure' && (
        <div>
          <p className="text-[12px] text-fuchsia-800 dark:text-fuchsia-200">{parseFailureText(audit)}</p>
          {!blankOutput && (
            <details className="mt-1">
              <summary className="cursor-pointer text-[12px] text-zinc-600 dark:text-zinc-400">
                Raw model output
              </summary>
              <pre className="case-code max-h-48 overflow-auto">{audit.rawOutput}</pre>
            </details>
          )}
        </div>
      )}
      <p className="text-[11.5px] text-zinc-600 dark:text-zinc-400">
        {audit.engine} · {audit.modelId} · {audit.generatedTokens} tokens in {(audit.totalMs / 1000).toFixed(1)} s ·{' '}
        {dateTime(audit.createdAt)}
        {audit.risk !== null && ` · ${riskLabel(audit.risk)}`}
      </p>
    </div>
  );
}

function Section({
  title,
  children,
  testId,
  id,
}: {
  title: string;
  children: React.ReactNode;
  testId?: string;
  id?: string;
}) {
  return (
    <section className="panel scroll-mt-2 px-3 py-2" data-testid={testId} id={id} aria-label={title}>
      <h3 className="label mb-1">{title}</h3>
      {children}
    </section>
  );
}

function CaseImage({
  detail,
  revealed,
  onToggle,
  blur,
  grayscale,
}: {
  detail: CaseDetail;
  revealed: boolean;
  onToggle: () => void;
  blur: boolean;
  grayscale: boolean;
}) {
  const [peeking, setPeeking] = useState(false);
  const pressedAt = useRef(0);
  const care = useImageCare();
  const { shown, protectedView, locked, filter } = imageProtection({
    blur,
    grayscale,
    display: care.display,
    mustBreak: care.mustBreak,
    decided: detail.currentReview !== null,
    revealed,
    peeking,
  });
  const { onRevealed } = care;
  useEffect(() => {
    if (shown && protectedView && detail.image) onRevealed(detail.id);
  }, [shown, protectedView, detail.id, detail.image, onRevealed]);
  if (!detail.image) {
    return (
      <div className="panel border-dashed px-3 py-2 text-amber-700 dark:text-amber-300" data-testid="image-missing">
        Image missing: the case names “{detail.imageRef ?? 'an image'}”, which was not found when it was imported. The
        model was told “Image missing or unavailable”.
      </div>
    );
  }
  return (
    <div className={`panel flex items-start gap-3 ${shown ? 'p-2' : 'px-2 py-1'}`} data-testid="case-image-panel">
      <button
        type="button"
        data-testid="case-image-button"
        aria-pressed={shown}
        // Hidden, the visible note below names the button (so what is read matches what is shown).
        aria-label={shown ? 'Hide image (V)' : undefined}
        className="relative overflow-hidden rounded bg-zinc-900"
        onPointerDown={() => {
          pressedAt.current = performance.now();
          setPeeking(true);
        }}
        onPointerUp={() => {
          setPeeking(false);
          // A short press is a click (toggle); a long press was a peek and leaves the image as it was.
          if (performance.now() - pressedAt.current < 300) onToggle();
        }}
        onPointerLeave={() => setPeeking(false)}
        onClick={(e) => {
          if (e.detail === 0) onToggle(); // keyboard activation (Enter/Space) has no pointer events
        }}
      >
        <img
          src={api.imageUrl(detail.image.sha256)}
          alt={shown ? 'Case image' : 'Case image, hidden'}
          data-testid="case-image"
          data-revealed={shown}
          draggable={false}
          // Hidden, the image is a compact strip so the query and the trace start above the fold at 1024×700.
          className={`block max-w-full object-contain ${shown ? 'max-h-[300px]' : 'h-10 w-64 object-cover'}`}
          style={{ filter }}
        />
        {!shown && (
          <span className="absolute inset-0 flex items-center justify-center text-[12px] font-medium text-white">
            <span className="rounded bg-black/70 px-2 py-0.5" data-testid="image-hidden-note">
              {locked ? (
                'Exposure limit reached: images stay blurred until you take a break'
              ) : (
                <>
                  Hidden · click or hold to view · <kbd>V</kbd>
                </>
              )}
            </span>
          </span>
        )}
      </button>
      <div className="text-[11px] text-zinc-600 dark:text-zinc-400">
        <div>
          {detail.image.width}×{detail.image.height} · {detail.image.mime}
        </div>
        <div className="font-mono">{detail.image.sha256.slice(0, 12)}…</div>
      </div>
    </div>
  );
}

function History({ entries }: { entries: ActivityLogEntry[] }) {
  if (entries.length === 0) return <p className="text-zinc-600 dark:text-zinc-400">No decisions yet.</p>;
  return (
    <ol className="flex flex-col gap-1" data-testid="case-history">
      {entries.map((entry) => (
        <li key={entry.id} className="grid grid-cols-[150px_110px_minmax(0,1fr)] gap-2 text-[12px]">
          <span className="text-zinc-600 dark:text-zinc-400">{dateTime(entry.at)}</span>
          <span className="truncate font-medium" title={entry.actor}>
            {entry.actor}
          </span>
          <span className="[overflow-wrap:anywhere]">
            <span className="font-mono text-[11.5px]">{entry.action}</span>{' '}
            <span className="text-zinc-600 dark:text-zinc-400">{summarizeValue(entry.after)}</span>
          </span>
        </li>
      ))}
    </ol>
  );
}
