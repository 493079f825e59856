// Audit runner: choose and load the model, see where data goes, run a batch and watch it.
import { useCallback, useEffect, useRef, useState } from 'react';
import type { AuditProgress } from '@domain/audits';
import { ENGINE_SELECTIONS, type EngineSelection, type EngineState, type ModelFolderCheck } from '@domain/engine';
import type { Settings } from '@domain/settings';
import { api, errorMessage, invoke, useApiEvent } from '../api';
import { ProgressBar } from '../components/badges';
import { ImageBudgetNotice } from '../components/ImageBudgetNotice';
import { bytes, duration, withQueueNumber } from '../lib/format';
import { useStreamedText } from '../lib/stream-store';
import { usePageKeys } from '../lib/use-page-keys';
import { LocateInBatchOption } from '../components/LocateInBatchOption';

// A Record, so that an engine added to ENGINE_SELECTIONS does not compile until it has a label here.
const ENGINE_LABELS: Record<EngineSelection, string> = {
  auto: 'Automatic (GPU in-process, else llama-server, else CPU build)',
  'llama.node': 'llama.node (in-process, reads images)',
  'node-llama-cpp': 'node-llama-cpp (in-process, text only)',
  sidecar: 'llama-server sidecar (local process)',
  openai: 'OpenAI-compatible server (see Settings)',
};

export function AuditScreen({
  settings,
  onSettings,
  notify,
  selectedCaseIds,
  engineState,
  progress,
}: {
  settings: Settings;
  onSettings: (patch: Partial<Settings>) => Promise<void>;
  notify: (message: string, kind?: 'info' | 'error') => void;
  selectedCaseIds: string[];
  engineState: EngineState;
  progress: AuditProgress | null;
}) {
  const [modelDir, setModelDir] = useState(settings.modelDir ?? '');
  const [engine, setEngine] = useState<EngineSelection>(settings.engine);
  const [check, setCheck] = useState<ModelFolderCheck | null>(null);
  const [acceptMismatch, setAcceptMismatch] = useState(false);
  const [scope, setScope] = useState<'unaudited' | 'selection'>('unaudited');
  const [busy, setBusy] = useState(false);
  // GuardTrace's reference allows 2000 output tokens; a lower cap trades complete analyses for speed.
  const [maxNewTokens, setMaxNewTokens] = useState('2000');
  const streamed = useStreamedText(progress?.currentCaseId ?? null);
  const scroller = useRef<HTMLDivElement>(null);
  usePageKeys(scroller);

  const runCheck = useCallback(
    async (dir: string) => {
      if (!dir) return;
      try {
        setCheck(await invoke('engine.check', { modelDir: dir }));
      } catch (e) {
        notify(`Model folder check failed: ${errorMessage(e)}`, 'error');
      }
    },
    [notify],
  );

  // A folder chosen from the menu (Ctrl+M) or remembered from last time: show what it holds straight away.
  useEffect(() => {
    setModelDir(settings.modelDir ?? '');
    if (settings.modelDir) void runCheck(settings.modelDir);
  }, [settings.modelDir, runCheck]);

  const browse = async () => {
    const dir = await api.pickFile({ purpose: 'modelDir' });
    if (dir) {
      setModelDir(dir);
      await runCheck(dir);
    }
  };

  const load = async () => {
    setBusy(true);
    try {
      const state = await invoke('engine.load', {
        modelDir: modelDir || undefined,
        engine,
        acceptPromptMismatch: acceptMismatch,
      });
      if (state.state === 'error') notify(`Model not loaded: ${state.message}`, 'error');
      else await onSettings({ modelDir: modelDir || null, engine });
    } catch (e) {
      notify(`Model not loaded: ${errorMessage(e)}`, 'error');
    } finally {
      setBusy(false);
    }
  };

  const act = async (fn: () => Promise<unknown>, what: string) => {
    try {
      await fn();
    } catch (e) {
      notify(`${what} failed: ${errorMessage(e)}`, 'error');
    }
  };

  const start = () => {
    const cap = Number(maxNewTokens);
    if (!Number.isInteger(cap) || cap < 1) {
      notify('Max output tokens must be a whole number of at least 1 (GuardTrace uses 2000).', 'error');
      return;
    }
    return act(
      () =>
        invoke('audit.start', {
          caseIds: scope === 'selection' ? selectedCaseIds : undefined,
          parallel: settings.parallelism,
          strictFormat: settings.strictFormat,
          maxNewTokens: cap,
        }),
      'Starting the audit',
    );
  };

  const info = engineState.state === 'loaded' ? engineState.info : null;
  const running = progress?.state === 'running' || progress?.state === 'paused' || progress?.state === 'cancelling';
  const startBlocked =
    engineState.state === 'loading'
      ? 'The model is still loading.'
      : engineState.state !== 'loaded'
        ? 'Load a model first: choose the model folder above, then Load model.'
        : running
          ? `A batch is ${progress?.state}: resume, pause or cancel it first.`
          : null;

  return (
    <div
      ref={scroller}
      className="grid min-h-0 flex-1 grid-cols-2 items-start gap-3 overflow-auto p-3"
      data-testid="audit-screen"
    >
      <section className="panel flex flex-col gap-3 p-3" aria-label="Model">
        <h2 className="text-[14px] font-semibold">Model</h2>
        <label className="flex flex-col gap-1">
          <span className="label">Model folder (GGUF + mmproj + prompt)</span>
          <div className="flex gap-1.5">
            <input
              className="field flex-1 font-mono text-[12px]"
              value={modelDir}
              data-testid="model-dir-input"
              onChange={(e) => setModelDir(e.target.value)}
              onBlur={() => void runCheck(modelDir)}
            />
            <button className="btn" onClick={() => void browse()} data-testid="model-dir-browse">
              Browse… <kbd>Ctrl+M</kbd>
            </button>
          </div>
        </label>
        {check && (
          <div className="text-[12px]" data-testid="model-check">
            <p className={check.ok ? 'text-emerald-800 dark:text-emerald-400' : 'text-rose-700 dark:text-rose-400'}>
              {check.ok ? 'Folder is complete.' : 'Folder is not usable yet.'}
            </p>
            <dl className="mt-1 grid grid-cols-[90px_1fr] gap-x-2 font-mono text-[11.5px]">
              <dt className="text-zinc-600 dark:text-zinc-400">model</dt>
              <dd className="truncate">{check.modelPath ?? '—'}</dd>
              <dt className="text-zinc-600 dark:text-zinc-400">mmproj</dt>
              <dd className="truncate">{check.mmprojPath ?? '—'}</dd>
              <dt className="text-zinc-600 dark:text-zinc-400">prompt</dt>
              <dd className="truncate">
                {check.promptPath ?? '—'}{' '}
                {check.promptPath && (check.promptHashOk ? '(GuardTrace prompt ✓)' : '(differs from GuardTrace’s)')}
              </dd>
            </dl>
            {check.errors.map((e) => (
              <p key={e} className="text-rose-600 dark:text-rose-400">
                {e}
              </p>
            ))}
            {check.warnings.map((w) => (
              <p key={w} className="text-amber-700 dark:text-amber-300">
                {w}
              </p>
            ))}
            {check.promptPath && !check.promptHashOk && (
              <label className="mt-1 flex items-center gap-1.5">
                <input type="checkbox" checked={acceptMismatch} onChange={(e) => setAcceptMismatch(e.target.checked)} />
                Use this prompt anyway (recorded with every verdict)
              </label>
            )}
          </div>
        )}
        <label className="flex flex-col gap-1">
          <span className="label">Engine</span>
          <select
            className="field"
            value={engine}
            data-testid="engine-select"
            onChange={(e) => setEngine(e.target.value as EngineSelection)}
          >
            {ENGINE_SELECTIONS.map((engine) => (
              <option key={engine} value={engine}>
                {ENGINE_LABELS[engine]}
              </option>
            ))}
          </select>
        </label>
        <div className="flex gap-1.5">
          <button
            className="btn btn-primary"
            disabled={busy || engineState.state === 'loading'}
            onClick={() => void load()}
            data-testid="engine-load"
          >
            {engineState.state === 'loading' ? 'Loading…' : 'Load model'}
          </button>
          <button
            className="btn"
            disabled={engineState.state !== 'loaded' || running}
            title={
              engineState.state !== 'loaded'
                ? 'No model is loaded.'
                : running
                  ? 'A batch is using the model: cancel it first.'
                  : undefined
            }
            onClick={() => void act(() => invoke('engine.unload', undefined), 'Unloading')}
          >
            Unload
          </button>
        </div>
        <EngineSummary state={engineState} />
        {info && (
          <dl className="grid grid-cols-[140px_1fr] gap-x-2 gap-y-0.5 text-[12px]" data-testid="engine-info">
            <dt className="text-zinc-600 dark:text-zinc-400">Model</dt>
            <dd>{info.modelName}</dd>
            <dt className="text-zinc-600 dark:text-zinc-400">Identity</dt>
            <dd className="font-mono text-[11.5px]">{info.modelId}</dd>
            <dt className="text-zinc-600 dark:text-zinc-400">Architecture</dt>
            <dd>
              {info.architecture} · {info.quantization} · {bytes(info.sizeBytes)}
            </dd>
            <dt className="text-zinc-600 dark:text-zinc-400">Context</dt>
            <dd>{info.contextLength.toLocaleString()} tokens</dd>
            <dt className="text-zinc-600 dark:text-zinc-400">Images</dt>
            <dd>{info.hasVision ? 'read by the model' : 'not supported by this engine (marked missing)'}</dd>
            <dt className="text-zinc-600 dark:text-zinc-400">Engine</dt>
            <dd>
              {info.engine} · {info.build.name} {info.build.version}
            </dd>
            <dt className="text-zinc-600 dark:text-zinc-400">Compute</dt>
            <dd data-testid="engine-gpu">
              {info.gpu.backend.toUpperCase()}
              {info.cpuThreads !== undefined && ` · ${info.cpuThreads} CPU thread${info.cpuThreads === 1 ? '' : 's'}`}
              {info.gpu.reason && <span className="text-zinc-600 dark:text-zinc-400"> — {info.gpu.reason}</span>}
            </dd>
            {info.build.cpuPenalty && (
              <>
                <dt className="text-zinc-600 dark:text-zinc-400">CPU note</dt>
                <dd className="text-amber-700 dark:text-amber-300">{info.build.cpuPenalty}</dd>
              </>
            )}
            <dt className="text-zinc-600 dark:text-zinc-400">Case data goes to</dt>
            <dd
              data-testid="data-leaves"
              className={
                info.dataLeavesMachine
                  ? 'font-semibold text-rose-600 dark:text-rose-400'
                  : 'text-emerald-700 dark:text-emerald-400'
              }
            >
              {info.dataLeavesMachine ? `${info.dataLeavesMachine.host} — leaves this machine` : 'this machine only'}
            </dd>
            <dt className="text-zinc-600 dark:text-zinc-400">Prompt</dt>
            <dd>{info.promptHashOk ? 'GuardTrace prompt (sha256 verified)' : 'non-standard prompt'}</dd>
            {info.warnings
              .filter((w) => w !== info.build.cpuPenalty)
              .map((w) => (
                <dd key={w} className="col-span-2 text-amber-700 dark:text-amber-300">
                  {w}
                </dd>
              ))}
          </dl>
        )}
      </section>

      <section className="panel flex flex-col gap-3 p-3" aria-label="Batch">
        <h2 className="text-[14px] font-semibold">Batch</h2>
        <ImageBudgetNotice maxPixels={settings.maxPixels} />
        <fieldset className="flex flex-col gap-1">
          <legend className="label mb-1">Cases</legend>
          <label className="flex items-center gap-1.5">
            <input type="radio" name="scope" checked={scope === 'unaudited'} onChange={() => setScope('unaudited')} />
            Every case without a verdict from this model and prompt
          </label>
          <label className="flex items-center gap-1.5">
            <input
              type="radio"
              name="scope"
              checked={scope === 'selection'}
              disabled={selectedCaseIds.length === 0}
              onChange={() => setScope('selection')}
            />
            The {selectedCaseIds.length} case(s) selected in the queue
          </label>
        </fieldset>
        <label className="flex items-center gap-2">
          <span className="label">Max output tokens per case</span>
          <input
            className="field w-24 tabular-nums"
            inputMode="numeric"
            value={maxNewTokens}
            data-testid="audit-max-tokens"
            onChange={(e) => setMaxNewTokens(e.target.value)}
          />
          <span className="text-[11px] text-zinc-600 dark:text-zinc-400">GuardTrace reference: 2000</span>
        </label>
        <LocateInBatchOption settings={settings} onSettings={onSettings} />
        <div className="flex gap-1.5">
          <button
            className="btn btn-primary"
            data-testid="audit-start"
            disabled={startBlocked !== null}
            title={startBlocked ?? undefined}
            aria-describedby={startBlocked ? 'audit-start-reason' : undefined}
            onClick={() => void start()}
          >
            Start
          </button>
          {progress?.state === 'paused' ? (
            <button
              className="btn"
              data-testid="audit-resume"
              onClick={() => void act(() => invoke('audit.resume', undefined), 'Resuming')}
            >
              Resume
            </button>
          ) : (
            <button
              className="btn"
              data-testid="audit-pause"
              disabled={progress?.state !== 'running'}
              title={progress?.state !== 'running' ? 'No batch is running.' : undefined}
              onClick={() => void act(() => invoke('audit.pause', undefined), 'Pausing')}
            >
              Pause
            </button>
          )}
          <button
            className="btn"
            data-testid="audit-cancel"
            disabled={!running}
            title={!running ? 'No batch is running or paused.' : undefined}
            onClick={() => void act(() => invoke('audit.cancel', undefined), 'Cancelling')}
          >
            Cancel
          </button>
        </div>
        {startBlocked && (
          <p
            id="audit-start-reason"
            className="text-[12px] text-zinc-700 dark:text-zinc-300"
            data-testid="audit-start-reason"
          >
            {startBlocked}
          </p>
        )}
        {progress && (
          <div className="flex flex-col gap-1.5" data-testid="audit-progress">
            <ProgressBar value={progress.done + progress.failed} max={progress.total} label="Audit progress" />
            <div className="flex flex-wrap gap-x-4 text-[12px] tabular-nums">
              <span data-testid="audit-state">{progress.state}</span>
              <span data-testid="audit-done">
                {progress.done} / {progress.total} done
              </span>
              {progress.failed > 0 && (
                <span className="text-rose-700 dark:text-rose-300">{progress.failed} failed</span>
              )}
              <span>{progress.casesPerMinute.toFixed(1)} cases/min</span>
              <span>ETA {duration(progress.etaSeconds)}</span>
            </div>
            {progress.lastError && (
              <p className="text-[12px] [overflow-wrap:anywhere] text-rose-700 dark:text-rose-300">
                {progress.lastError}
              </p>
            )}
            {progress.failures && progress.failures.length > 0 && (
              <details open className="text-[12px]" data-testid="audit-failures">
                <summary className="cursor-pointer font-medium text-rose-700 dark:text-rose-300">
                  {progress.failures.length} case(s) failed (find them with the “Audit failed” filter)
                </summary>
                <ul className="mt-1 max-h-48 overflow-auto">
                  {progress.failures.map((f) => (
                    <li key={f.caseId} className="[overflow-wrap:anywhere]">
                      Case #{f.seq}: {withQueueNumber(f.error, f.caseId, f.seq)}
                    </li>
                  ))}
                </ul>
              </details>
            )}
            {progress.currentCaseId && (
              <div className="mt-1">
                <p className="label">Now auditing {progress.currentCaseId}</p>
                <pre
                  data-testid="audit-stream"
                  className="mt-1 max-h-60 overflow-auto rounded bg-zinc-100 p-2 font-mono text-[11.5px] whitespace-pre-wrap dark:bg-zinc-950"
                  aria-live="off"
                >
                  {streamed ?? '…'}
                </pre>
              </div>
            )}
          </div>
        )}
      </section>
    </div>
  );
}

function EngineSummary({ state }: { state: EngineState }) {
  if (state.state === 'error') return <p className="text-[12px] text-rose-600 dark:text-rose-400">{state.message}</p>;
  if (state.state === 'loading')
    return <p className="text-[12px] text-zinc-600 dark:text-zinc-400">Loading {state.modelDir}…</p>;
  if (state.state === 'unloaded')
    return <p className="text-[12px] text-zinc-600 dark:text-zinc-400">No model loaded.</p>;
  return null;
}

export function useAuditProgress(): AuditProgress | null {
  const [progress, setProgress] = useState<AuditProgress | null>(null);
  useEffect(() => {
    invoke('audit.status', undefined).then(setProgress, () => undefined);
  }, []);
  useApiEvent('audit.progress', setProgress);
  return progress;
}
