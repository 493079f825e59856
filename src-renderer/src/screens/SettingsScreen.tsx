import { useEffect, useRef, useState } from 'react';
import { ENGINE_SELECTIONS, type EngineSelection } from '@domain/engine';
import { THEMES, type Settings } from '@domain/settings';
import { REFERENCE_MAX_PIXELS, SMALL_MAX_PIXELS } from '@domain/fidelity';
import { api, errorMessage, invoke } from '../api';
import { ImageCareSettings } from '../components/quality/ImageCareSettings';
import { usePageKeys } from '../lib/use-page-keys';

// A Record, so that an engine added to ENGINE_SELECTIONS does not compile until it has a label here.
const ENGINE_LABELS: Record<EngineSelection, string> = {
  auto: 'Automatic',
  'llama.node': 'llama.node',
  'node-llama-cpp': 'node-llama-cpp',
  sidecar: 'llama-server sidecar',
  openai: 'OpenAI-compatible server',
};

export function SettingsScreen({
  settings,
  onSettings,
  notify,
}: {
  settings: Settings;
  onSettings: (patch: Partial<Settings>) => Promise<void>;
  notify: (message: string, kind?: 'info' | 'error') => void;
}) {
  const [reviewer, setReviewer] = useState(settings.reviewer);
  const [maxPixels, setMaxPixels] = useState(String(settings.maxPixels));
  const [parallelism, setParallelism] = useState(String(settings.parallelism));
  const [llamaServerPath, setLlamaServerPath] = useState(settings.llamaServerPath ?? '');
  const [baseUrl, setBaseUrl] = useState(settings.openai?.baseUrl ?? '');
  const [model, setModel] = useState(settings.openai?.model ?? '');
  const [allowInsecure, setAllowInsecure] = useState(settings.openai?.allowInsecureRemote ?? false);
  const [apiKey, setApiKey] = useState('');
  const scroller = useRef<HTMLDivElement>(null);
  usePageKeys(scroller);

  useEffect(() => {
    setReviewer(settings.reviewer);
    setMaxPixels(String(settings.maxPixels));
    setParallelism(String(settings.parallelism));
  }, [settings.reviewer, settings.maxPixels, settings.parallelism]);

  const saveNumber = (name: 'maxPixels' | 'parallelism', raw: string, min: number) => {
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min) {
      notify(
        `${name === 'maxPixels' ? 'Max pixels' : 'Parallelism'} must be a whole number of at least ${min}.`,
        'error',
      );
      return;
    }
    void onSettings({ [name]: n });
  };

  return (
    <div ref={scroller} className="min-h-0 flex-1 overflow-auto p-3" data-testid="settings-screen">
      <div className="grid max-w-5xl grid-cols-2 gap-3">
        <section className="panel flex flex-col gap-3 p-3" aria-label="Reviewer and wellness">
          <h2 className="text-[14px] font-semibold">Reviewer &amp; wellness</h2>
          <label className="flex flex-col gap-1">
            <span className="label">Reviewer name (recorded with every decision)</span>
            <input
              className="field"
              value={reviewer}
              data-testid="settings-reviewer"
              onChange={(e) => setReviewer(e.target.value)}
              onBlur={() =>
                reviewer.trim() && reviewer !== settings.reviewer && void onSettings({ reviewer: reviewer.trim() })
              }
            />
          </label>
          <label className="flex items-center gap-2">
            <input
              type="checkbox"
              checked={settings.blurImages}
              data-testid="settings-blur"
              onChange={(e) => void onSettings({ blurImages: e.target.checked })}
            />
            Blur images until I reveal them
          </label>
          <label className="flex items-center gap-2">
            <input
              type="checkbox"
              checked={settings.grayscaleImages}
              data-testid="settings-grayscale"
              onChange={(e) => void onSettings({ grayscaleImages: e.target.checked })}
            />
            Show images in grayscale until I reveal them
          </label>
          <ImageCareSettings settings={settings} onSettings={onSettings} />
          <label className="flex items-center gap-2">
            <input
              type="checkbox"
              checked={settings.blindReviewers.includes(settings.reviewer)}
              data-testid="settings-blind"
              onChange={(e) =>
                void onSettings({
                  blindReviewers: e.target.checked
                    ? [...settings.blindReviewers.filter((r) => r !== settings.reviewer), settings.reviewer]
                    : settings.blindReviewers.filter((r) => r !== settings.reviewer),
                })
              }
            />
            Blind review for {settings.reviewer}: hide the model’s verdict, its analysis and the gold label until my
            first choice
          </label>
          <fieldset className="flex flex-col gap-1">
            <legend className="label mb-1">Theme</legend>
            {THEMES.map((t) => (
              <label key={t} className="flex items-center gap-2">
                <input
                  type="radio"
                  name="theme"
                  checked={settings.theme === t}
                  onChange={() => void onSettings({ theme: t })}
                />
                {t === 'system' ? 'Follow the operating system' : t === 'dark' ? 'Dark' : 'Light'}
              </label>
            ))}
          </fieldset>
        </section>

        <section className="panel flex flex-col gap-3 p-3" aria-label="Engine">
          <h2 className="text-[14px] font-semibold">Engine</h2>
          <label className="flex flex-col gap-1">
            <span className="label">Engine</span>
            <select
              className="field"
              value={settings.engine}
              onChange={(e) => void onSettings({ engine: e.target.value as EngineSelection })}
            >
              {ENGINE_SELECTIONS.map((engine) => (
                <option key={engine} value={engine}>
                  {ENGINE_LABELS[engine]}
                </option>
              ))}
            </select>
          </label>
          <div className="grid grid-cols-2 gap-2">
            <label className="flex flex-col gap-1">
              <span className="label">Max image pixels</span>
              <input
                className="field tabular-nums"
                inputMode="numeric"
                value={maxPixels}
                onChange={(e) => setMaxPixels(e.target.value)}
                onBlur={() => saveNumber('maxPixels', maxPixels, 3136)}
              />
              <span className="text-[11px] text-zinc-600 dark:text-zinc-400">
                Reference: {REFERENCE_MAX_PIXELS} (16,384 tokens). Smaller, e.g. {SMALL_MAX_PIXELS}, is faster on a CPU
                but image verdicts then differ from the published evaluation.
              </span>
            </label>
            <label className="flex flex-col gap-1">
              <span className="label">Parallel cases</span>
              <input
                className="field tabular-nums"
                inputMode="numeric"
                value={parallelism}
                onChange={(e) => setParallelism(e.target.value)}
                onBlur={() => saveNumber('parallelism', parallelism, 1)}
              />
              <span className="text-[11px] text-zinc-600 dark:text-zinc-400" data-testid="parallelism-hint">
                Cases decoded together. 2 suits a CPU: more cases per hour (sidecar 1.36×), while the case you open
                still starts first. Raise it to 4–8 on a GPU server. Each case reserves its own context memory;
                llama.node runs one. Applies at the next model load.
              </span>
            </label>
          </div>
          <label className="flex items-center gap-2">
            <input
              type="checkbox"
              checked={settings.strictFormat}
              onChange={(e) => void onSettings({ strictFormat: e.target.checked })}
            />
            Constrain output to the GuardTrace format (grammar)
          </label>
          <label className="flex flex-col gap-1">
            <span className="label">llama-server binary (sidecar)</span>
            <div className="flex gap-1.5">
              <input
                className="field flex-1 font-mono text-[12px]"
                value={llamaServerPath}
                placeholder="look in the build cache"
                onChange={(e) => setLlamaServerPath(e.target.value)}
                onBlur={() => void onSettings({ llamaServerPath: llamaServerPath.trim() || null })}
              />
              <button
                className="btn"
                onClick={async () => {
                  const picked = await api.pickFile({ purpose: 'llamaServer' });
                  if (picked) {
                    setLlamaServerPath(picked);
                    void onSettings({ llamaServerPath: picked });
                  }
                }}
              >
                …
              </button>
            </div>
          </label>
        </section>

        <section className="panel col-span-2 flex flex-col gap-3 p-3" aria-label="OpenAI-compatible server">
          <h2 className="text-[14px] font-semibold">OpenAI-compatible server (vLLM, llama-server)</h2>
          <p className="text-[12px] text-amber-700 dark:text-amber-300">
            Case text and images are sent to this server. Use one on this machine or your own network.
          </p>
          <div className="grid grid-cols-3 gap-2">
            <label className="flex flex-col gap-1">
              <span className="label">Base URL</span>
              <input
                className="field font-mono text-[12px]"
                value={baseUrl}
                placeholder="http://127.0.0.1:8080/v1"
                onChange={(e) => setBaseUrl(e.target.value)}
              />
            </label>
            <label className="flex flex-col gap-1">
              <span className="label">Model</span>
              <input className="field font-mono text-[12px]" value={model} onChange={(e) => setModel(e.target.value)} />
            </label>
            <label className="flex flex-col gap-1">
              <span className="label">API key (kept in the OS keyring)</span>
              <input
                className="field font-mono text-[12px]"
                type="password"
                autoComplete="off"
                value={apiKey}
                onChange={(e) => setApiKey(e.target.value)}
              />
            </label>
          </div>
          <label className="flex items-center gap-2">
            <input type="checkbox" checked={allowInsecure} onChange={(e) => setAllowInsecure(e.target.checked)} />
            Allow plain http to a server that is not on this machine
          </label>
          <div className="flex gap-1.5">
            <button
              className="btn btn-primary"
              onClick={async () => {
                await onSettings({
                  openai: baseUrl.trim()
                    ? { baseUrl: baseUrl.trim(), model: model.trim(), allowInsecureRemote: allowInsecure }
                    : null,
                });
                if (apiKey) {
                  try {
                    const r = await invoke('secrets.setApiKey', { apiKey });
                    setApiKey('');
                    notify(
                      r.stored
                        ? r.encrypted
                          ? 'API key stored, encrypted by the OS keyring.'
                          : 'API key stored, but this system has no keyring: it is only obfuscated.'
                        : 'API key NOT stored: no secure storage is available on this system.',
                      r.stored ? 'info' : 'error',
                    );
                  } catch (e) {
                    notify(`Could not store the API key: ${errorMessage(e)}`, 'error');
                  }
                }
              }}
            >
              Save server
            </button>
            <button
              className="btn"
              onClick={async () => {
                try {
                  await invoke('secrets.setApiKey', { apiKey: null });
                  notify('API key removed.');
                } catch (e) {
                  notify(`Could not remove the API key: ${errorMessage(e)}`, 'error');
                }
              }}
            >
              Forget API key
            </button>
          </div>
        </section>
      </div>
    </div>
  );
}
