// Everything the model saw and said for one case. All case text is rendered as React text nodes, never as HTML.
import { useRef, useState } from 'react';
import type { ActivityLogEntry } from '@domain/activity-log';
import type { CaseDetail } from '@domain/cases';
import { api } from '../api';
import { dateTime, summarizeValue } from '../lib/format';
import { useStreamedText } from '../lib/stream-store';
import { RiskBadge } from './badges';

export function CaseView({
  detail,
  revealed,
  onToggleReveal,
  blurImages,
  grayscaleImages,
}: {
  detail: CaseDetail;
  revealed: boolean;
  onToggleReveal: () => void;
  blurImages: boolean;
  grayscaleImages: boolean;
}) {
  const audit = detail.latestAudit;
  const streamed = useStreamedText(detail.id);
  return (
    <article className="flex flex-col gap-3 p-3" aria-label={`Case ${detail.seq}`} data-testid="case-view">
      <header className="flex flex-wrap items-center gap-2">
        <h2 className="text-[15px] font-semibold">Case #{detail.seq}</h2>
        <span className="font-mono text-[11px] text-zinc-500" title="Case id">
          {detail.id}
        </span>
        <span className="text-[11px] text-zinc-500">
          {detail.sourceFile} · record {detail.sourceRecord}
        </span>
        <span className="ml-auto flex items-center gap-2">
          {detail.gold !== null && <RiskBadge risk={detail.gold} prefix="Gold" testId="gold-badge" />}
          {detail.currentReview && (
            <RiskBadge
              risk={detail.currentReview.risk}
              prefix={`Human (${detail.currentReview.reviewer})`}
              testId="human-badge"
            />
          )}
        </span>
      </header>

      {(detail.image || detail.imageMissing) && (
        <CaseImage
          detail={detail}
          revealed={revealed}
          onToggle={onToggleReveal}
          blur={blurImages}
          grayscale={grayscaleImages}
        />
      )}

      <Section title="User query">
        <p className="text-[13.5px] whitespace-pre-wrap" data-testid="case-query">
          {detail.query}
        </p>
      </Section>

      <Section title="Reasoning trace">
        <TraceText text={detail.thinking} />
      </Section>

      <Section title="Final response">
        <p className="whitespace-pre-wrap" data-testid="case-response">
          {detail.response}
        </p>
      </Section>

      <Section title="Model analysis" testId="model-analysis">
        {streamed !== null && (
          <div aria-live="polite" data-testid="analysis-streaming">
            <p className="mb-1 text-[11px] font-medium text-sky-600 dark:text-sky-400">Writing…</p>
            <p className="font-mono text-[12px] whitespace-pre-wrap">{streamed}</p>
          </div>
        )}
        {streamed === null && !audit && (
          <p className="text-zinc-500">Not audited yet. Load a model in the Audit runner (Ctrl+2).</p>
        )}
        {streamed === null && audit && (
          <div className="flex flex-col gap-2">
            <div className="flex flex-wrap items-center gap-2">
              <RiskBadge
                risk={audit.risk}
                parseFailure={audit.status === 'parse_failure'}
                size="lg"
                testId="verdict-badge"
              />
              {audit.category && (
                <span
                  className="rounded border border-zinc-300 px-1.5 py-px text-[11px] dark:border-zinc-700"
                  data-testid="verdict-category"
                >
                  {audit.category}
                </span>
              )}
              {audit.imageMissing && (
                <span className="rounded border border-amber-600/50 px-1.5 py-px text-[11px] text-amber-700 dark:text-amber-300">
                  model saw: image missing or unavailable
                </span>
              )}
              {!audit.promptHashOk && (
                <span className="rounded border border-rose-600/50 px-1.5 py-px text-[11px] text-rose-700 dark:text-rose-300">
                  non-standard prompt
                </span>
              )}
            </div>
            {audit.analysis && <p className="whitespace-pre-wrap">{audit.analysis}</p>}
            {audit.status === 'parse_failure' && (
              <div>
                <p className="text-[12px] text-fuchsia-700 dark:text-fuchsia-300">{audit.parseError}</p>
                <details className="mt-1">
                  <summary className="cursor-pointer text-[12px] text-zinc-500">Raw model output</summary>
                  <pre className="mt-1 max-h-48 overflow-auto rounded bg-zinc-100 p-2 font-mono text-[11.5px] whitespace-pre-wrap dark:bg-zinc-950">
                    {audit.rawOutput}
                  </pre>
                </details>
              </div>
            )}
            <p className="text-[11px] text-zinc-500">
              {audit.engine} · {audit.modelId} · {audit.generatedTokens} tokens in {(audit.totalMs / 1000).toFixed(1)} s
              · {dateTime(audit.createdAt)}
            </p>
          </div>
        )}
      </Section>

      <Section title={`History (${detail.history.length})`}>
        <History entries={detail.history} />
      </Section>
    </article>
  );
}

function Section({ title, children, testId }: { title: string; children: React.ReactNode; testId?: string }) {
  return (
    <section className="panel px-3 py-2" data-testid={testId} aria-label={title}>
      <h3 className="label mb-1">{title}</h3>
      {children}
    </section>
  );
}

const STEP_START = /^\s*(?:step\s*\d+\s*[:.)-]|\d+\s*[.)]\s|[-*•]\s)/i;

/** Shows a trace as numbered steps when it is written as steps, else as paragraphs. */
function TraceText({ text }: { text: string }) {
  const lines = text
    .split(/\n+/)
    .map((l) => l.trim())
    .filter(Boolean);
  const stepLines = lines.filter((l) => STEP_START.test(l));
  if (lines.length >= 2 && stepLines.length >= Math.ceil(lines.length / 2)) {
    return (
      <ol className="flex list-decimal flex-col gap-1 pl-5" data-testid="case-trace">
        {lines.map((line, i) => (
          <li key={i} className="whitespace-pre-wrap">
            {line.replace(STEP_START, '')}
          </li>
        ))}
      </ol>
    );
  }
  return (
    <div className="flex flex-col gap-1.5 text-zinc-700 dark:text-zinc-300" data-testid="case-trace">
      {lines.map((line, i) => (
        <p key={i} className="whitespace-pre-wrap">
          {line}
        </p>
      ))}
    </div>
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
  if (!detail.image) {
    return (
      <div className="panel border-dashed px-3 py-2 text-amber-700 dark:text-amber-300" data-testid="image-missing">
        Image missing: the case names “{detail.imageRef ?? 'an image'}”, which was not found when it was imported. The
        model was told “Image missing or unavailable”.
      </div>
    );
  }
  const protectedView = blur || grayscale;
  const shown = !protectedView || revealed || peeking;
  const filter = shown ? 'none' : [blur ? 'blur(22px)' : '', grayscale ? 'grayscale(1)' : ''].join(' ').trim();
  return (
    <div className="panel flex items-start gap-3 p-2">
      <button
        type="button"
        data-testid="case-image-button"
        aria-pressed={shown}
        aria-label={shown ? 'Hide image (V)' : 'Reveal image (V); hold to peek'}
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
          className="block max-h-[300px] max-w-[420px] object-contain"
          style={{ filter }}
        />
        {!shown && (
          <span className="absolute inset-0 flex items-center justify-center text-[12px] font-medium text-white/90">
            <span className="rounded bg-black/60 px-2 py-1">
              Hidden · click or hold to view · <kbd>V</kbd>
            </span>
          </span>
        )}
      </button>
      <div className="text-[11px] text-zinc-500">
        <div>
          {detail.image.width}×{detail.image.height} · {detail.image.mime}
        </div>
        <div className="font-mono">{detail.image.sha256.slice(0, 12)}…</div>
      </div>
    </div>
  );
}

function History({ entries }: { entries: ActivityLogEntry[] }) {
  if (entries.length === 0) return <p className="text-zinc-500">No decisions yet.</p>;
  return (
    <ol className="flex flex-col gap-1" data-testid="case-history">
      {entries.map((entry) => (
        <li key={entry.id} className="grid grid-cols-[150px_110px_1fr] gap-2 text-[12px]">
          <span className="text-zinc-500">{dateTime(entry.at)}</span>
          <span className="truncate font-medium" title={entry.actor}>
            {entry.actor}
          </span>
          <span>
            <span className="font-mono text-[11.5px]">{entry.action}</span>{' '}
            <span className="text-zinc-500">{summarizeValue(entry.after)}</span>
          </span>
        </li>
      ))}
    </ol>
  );
}
