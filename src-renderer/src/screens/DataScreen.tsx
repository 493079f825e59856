// Import and export, with progress and the per-record error list.
import { useRef, useState } from 'react';
import {
  correctionsLeftOutText,
  EXPORT_FORMATS,
  IMPORT_FORMATS,
  type ExportFormat,
  type ExportSelection,
  type ExportSummary,
  type ImportFormat,
  type ImportProgress,
  type ImportSummary,
} from '@domain/io';
import { api, errorMessage, invoke, useApiEvent } from '../api';
import { ProgressBar } from '../components/badges';
import { TeamDataPanel } from '../components/TeamPanels';
import { usePageKeys } from '../lib/use-page-keys';

export function DataScreen({
  notify,
  reviewer,
  selectedCaseIds = [],
}: {
  notify: (message: string, kind?: 'info' | 'error') => void;
  reviewer: string;
  /** Cases selected in the queue (X): team review can send just these. */
  selectedCaseIds?: string[];
}) {
  const scroller = useRef<HTMLDivElement>(null);
  usePageKeys(scroller);
  return (
    <div
      ref={scroller}
      className="grid min-h-0 flex-1 grid-cols-1 items-start gap-3 overflow-auto p-3 lg:grid-cols-2"
      data-testid="data-screen"
    >
      <ImportPanel notify={notify} reviewer={reviewer} />
      <ExportPanel notify={notify} />
      <TeamDataPanel notify={notify} selectedCaseIds={selectedCaseIds} />
    </div>
  );
}

export async function runImport(
  file: string,
  options: { format?: ImportFormat; imagesDir?: string; actor?: string; asReferenceEval?: boolean },
): Promise<ImportSummary> {
  return invoke('import.run', {
    file,
    format: options.format,
    imagesDir: options.imagesDir || undefined,
    actor: options.actor,
    ...(options.asReferenceEval ? { asReferenceEval: true } : {}),
  });
}

function ImportPanel({
  notify,
  reviewer,
}: {
  notify: (message: string, kind?: 'info' | 'error') => void;
  reviewer: string;
}) {
  const [file, setFile] = useState('');
  const [format, setFormat] = useState<ImportFormat | ''>('');
  const [imagesDir, setImagesDir] = useState('');
  const [asReferenceEval, setAsReferenceEval] = useState(false);
  const [progress, setProgress] = useState<ImportProgress | null>(null);
  const [summary, setSummary] = useState<ImportSummary | null>(null);
  const [running, setRunning] = useState(false);
  useApiEvent('import.progress', (p) => setProgress(p));

  const run = async () => {
    setRunning(true);
    setSummary(null);
    setProgress(null);
    try {
      const s = await runImport(file, { format: format || undefined, imagesDir, actor: reviewer, asReferenceEval });
      setSummary(s);
      notify(`Imported ${s.imported} of ${s.total} record(s) from ${s.file}.`);
    } catch (e) {
      notify(`Import failed: ${errorMessage(e)}`, 'error');
    } finally {
      setRunning(false);
    }
  };

  return (
    <section className="panel flex flex-col gap-3 p-3" aria-label="Import" data-testid="import-panel">
      <h2 className="text-[14px] font-semibold">
        Import cases{' '}
        <span className="text-[12px] font-normal text-zinc-600 dark:text-zinc-400">or drop files on the window</span>
      </h2>
      <label className="flex flex-col gap-1">
        <span className="label">File (GuardTrace JSON, JSONL or CSV)</span>
        <div className="flex gap-1.5">
          <input
            className="field flex-1 font-mono text-[12px]"
            value={file}
            onChange={(e) => setFile(e.target.value)}
            data-testid="import-file"
          />
          <button
            className="btn"
            data-testid="import-browse"
            onClick={async () => {
              const picked = await api.pickFile({ purpose: 'import' });
              if (picked) setFile(picked);
            }}
          >
            Browse… <kbd>Ctrl+O</kbd>
          </button>
        </div>
      </label>
      <div className="grid grid-cols-2 gap-2">
        <label className="flex flex-col gap-1">
          <span className="label">Format</span>
          <select
            className="field"
            value={format}
            onChange={(e) => setFormat(e.target.value as ImportFormat | '')}
            data-testid="import-format"
          >
            <option value="">Detect from the file</option>
            {IMPORT_FORMATS.map((value) => (
              <option key={value} value={value}>
                {IMPORT_FORMAT_LABELS[value]}
              </option>
            ))}
          </select>
        </label>
        <label className="flex flex-col gap-1">
          <span className="label">Images folder (optional)</span>
          <div className="flex gap-1.5">
            <input
              className="field min-w-0 flex-1 font-mono text-[12px]"
              value={imagesDir}
              onChange={(e) => setImagesDir(e.target.value)}
              placeholder="next to the file"
            />
            <button
              className="btn"
              onClick={async () => {
                const picked = await api.pickFile({ purpose: 'imagesDir' });
                if (picked) setImagesDir(picked);
              }}
            >
              …
            </button>
          </div>
        </label>
      </div>
      <label className="flex items-start gap-1.5">
        <input
          type="checkbox"
          className="mt-0.5"
          checked={asReferenceEval || format === 'guardtrace-results'}
          disabled={format === 'guardtrace-results'}
          onChange={(e) => setAsReferenceEval(e.target.checked)}
          data-testid="import-as-reference-eval"
        />
        <span>
          As the reference evaluation: S-Eval images get the FigStep query
          <span className="block text-[11.5px] text-zinc-600 dark:text-zinc-400">
            Image cases whose image name starts with “S-Eval” get the fixed FigStep query that GuardTrace-VL’s
            S-Eval_test_eval.py sends instead of their question; the question is kept on the case. Always applied to
            reference script results.
          </span>
        </span>
      </label>
      <div>
        <button
          className="btn btn-primary"
          disabled={!file || running}
          title={running ? 'An import is running.' : !file ? 'Choose a file to import first.' : undefined}
          onClick={() => void run()}
          data-testid="import-run"
        >
          {running ? 'Importing…' : 'Import'}
        </button>
      </div>
      {running && progress && <ProgressBar value={progress.processed} max={progress.total} label="Import progress" />}
      {summary && <ImportResult summary={summary} />}
    </section>
  );
}

export function ImportResult({ summary }: { summary: ImportSummary }) {
  return (
    <div className="flex flex-col gap-2 text-[12px]" data-testid="import-summary">
      <p>
        <strong>{summary.imported}</strong> imported · {summary.duplicates} duplicate(s) · {summary.rejected} rejected ·{' '}
        {summary.imagesMissing} image(s) missing · {summary.total} record(s) in {(summary.ms / 1000).toFixed(2)} s (
        {summary.format})
      </p>
      {summary.reference && (
        <p data-testid="import-reference">
          Reference verdicts: <strong>{summary.reference.verdicts}</strong> stored ({summary.reference.parseFailures}{' '}
          without a parseable verdict) · {summary.reference.alreadyPresent} already present ·{' '}
          {summary.reference.matchedExisting} attached to cases already imported · {summary.reference.scriptErrors}{' '}
          record(s) the reference script itself failed on (listed below)
        </p>
      )}
      {summary.errors.length > 0 && (
        <div className="max-h-72 overflow-auto rounded border border-rose-600/30">
          <table className="w-full text-[12px]" data-testid="import-errors">
            <thead className="sticky top-0 bg-zinc-100 dark:bg-zinc-900">
              <tr className="text-left">
                <th className="p-1">Record</th>
                <th className="p-1">Field</th>
                <th className="p-1">What to fix</th>
              </tr>
            </thead>
            <tbody>
              {summary.errors.map((e, i) => (
                <tr key={i} className="border-t border-zinc-200 dark:border-zinc-800">
                  <td className="p-1 tabular-nums">{e.record}</td>
                  <td className="p-1 font-mono">{e.field ?? '—'}</td>
                  <td className="p-1">{e.reason}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}

// Records, so that a format added to IMPORT_FORMATS or EXPORT_FORMATS does not compile until it has a label here.
const IMPORT_FORMAT_LABELS: Record<ImportFormat, string> = {
  guardtrace: 'GuardTrace JSON',
  jsonl: 'JSONL',
  csv: 'CSV',
  'guardtrace-results': 'Reference script results (JSON)',
};

const EXPORT_FORMAT_OPTIONS: Record<ExportFormat, { label: string; ext: string }> = {
  jsonl: { label: 'JSONL (cases, verdicts, decisions)', ext: 'jsonl' },
  csv: { label: 'CSV (one row per case)', ext: 'csv' },
  sft: { label: 'SFT training set (human analyses)', ext: 'jsonl' },
  dpo: { label: 'DPO pairs (human vs model)', ext: 'jsonl' },
  steps: { label: 'Step labels (process supervision, first unsafe step)', ext: 'jsonl' },
};

function ExportPanel({ notify }: { notify: (message: string, kind?: 'info' | 'error') => void }) {
  const [format, setFormat] = useState<ExportFormat>('jsonl');
  const [only, setOnly] = useState<ExportSelection>('reviewed');
  const [withImages, setWithImages] = useState(false);
  const [out, setOut] = useState('');
  const [summary, setSummary] = useState<ExportSummary | null>(null);
  const [running, setRunning] = useState(false);
  const ext = EXPORT_FORMAT_OPTIONS[format].ext;

  const run = async () => {
    setRunning(true);
    setSummary(null);
    try {
      const s = await invoke('export.run', { format, out, only, withImages });
      setSummary(s);
      notify(
        s.written === 0
          ? `Nothing exported: no case matched (${s.skipped} skipped). ${s.out} holds no records.`
          : `Exported ${s.written} case(s) to ${s.out}${s.skipped ? `; ${s.skipped} skipped` : ''}.`,
        s.written === 0 ? 'error' : 'info',
      );
    } catch (e) {
      notify(`Export failed: ${errorMessage(e)}`, 'error');
    } finally {
      setRunning(false);
    }
  };

  return (
    <section className="panel flex flex-col gap-3 p-3" aria-label="Export" data-testid="export-panel">
      <h2 className="text-[14px] font-semibold">Export</h2>
      <div className="grid grid-cols-2 gap-2">
        <label className="flex flex-col gap-1">
          <span className="label">Format</span>
          <select
            className="field"
            value={format}
            onChange={(e) => setFormat(e.target.value as ExportFormat)}
            data-testid="export-format"
          >
            {EXPORT_FORMATS.map((value) => (
              <option key={value} value={value}>
                {EXPORT_FORMAT_OPTIONS[value].label}
              </option>
            ))}
          </select>
        </label>
        <label className="flex flex-col gap-1">
          <span className="label">Cases</span>
          <select
            className="field"
            value={only}
            onChange={(e) => setOnly(e.target.value as ExportSelection)}
            data-testid="export-only"
          >
            <option value="reviewed">Reviewed</option>
            <option value="disagreements">Model and human disagree</option>
            <option value="all">All</option>
          </select>
        </label>
      </div>
      <label className="flex items-center gap-1.5">
        <input type="checkbox" checked={withImages} onChange={(e) => setWithImages(e.target.checked)} />
        Copy images next to the file
      </label>
      <label className="flex flex-col gap-1">
        <span className="label">Save as</span>
        <div className="flex gap-1.5">
          <input
            className="field flex-1 font-mono text-[12px]"
            value={out}
            onChange={(e) => setOut(e.target.value)}
            data-testid="export-out"
          />
          <button
            className="btn"
            data-testid="export-browse"
            onClick={async () => {
              const picked = await api.pickFile({ purpose: 'export', defaultName: `guardtrace-${format}.${ext}` });
              if (picked) setOut(picked);
            }}
          >
            Browse… <kbd>Ctrl+E</kbd>
          </button>
        </div>
      </label>
      <div>
        <button
          className="btn btn-primary"
          disabled={!out || running}
          title={running ? 'An export is running.' : !out ? 'Choose where to save the file first.' : undefined}
          onClick={() => void run()}
          data-testid="export-run"
        >
          {running ? 'Exporting…' : 'Export'}
        </button>
      </div>
      {summary && (
        <div className="text-[12px]" data-testid="export-summary">
          {summary.written === 0 ? (
            <p className="font-semibold text-rose-800 dark:text-rose-200" data-testid="export-nothing">
              Nothing exported: no case matched this format and selection ({summary.skipped} skipped).
            </p>
          ) : (
            <p className="[overflow-wrap:anywhere]">
              <strong>{summary.written}</strong> written to <span className="font-mono">{summary.out}</span> ·{' '}
              {summary.skipped} skipped · {summary.images} image(s) · {(summary.ms / 1000).toFixed(2)} s
            </p>
          )}
          {Object.entries(summary.skippedReasons).map(([reason, n]) => (
            <p key={reason} className="text-zinc-600 dark:text-zinc-400">
              {n} skipped: {reason}
            </p>
          ))}
          {correctionsLeftOutText(summary) && (
            <p
              className="mt-1 rounded border border-amber-600/60 bg-amber-50 px-2 py-1 text-amber-950 dark:bg-amber-950 dark:text-amber-100"
              data-testid="export-corrections-left-out"
            >
              {correctionsLeftOutText(summary)}
            </p>
          )}
          {summary.refused && summary.refused.length > 0 && (
            <details className="mt-1" data-testid="export-refused">
              <summary className="cursor-pointer">
                {summary.refused.length} training target(s) refused: the analysis contradicts the judgment
              </summary>
              <ul className="mt-1 max-h-48 list-disc overflow-auto pl-5">
                {summary.refused.map((r) => (
                  <li key={r.caseId} className="[overflow-wrap:anywhere]">
                    <span className="font-mono">{r.caseId}</span>: {r.reason}
                  </li>
                ))}
              </ul>
            </details>
          )}
        </div>
      )}
    </section>
  );
}
