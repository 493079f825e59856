// Model lifecycle behind a lock: validate the folder, pick the runtime, load one model at a time, unload.
// The handler map, the job runner and the CLI use this; nothing here imports electron.
import type { EngineLoadRequest, EngineSelection, EngineState } from '@domain/engine';
import { verdictContext } from './audit-common';
import { AsyncLock } from './async-lock';
import {
  EngineError,
  type AuditInput,
  type AuditOptions,
  type AuditResult,
  type Engine,
  type EngineInfo,
} from './engine';
import { DEFAULT_MAX_PIXELS, imageBudgetWarning } from './image-prep';
import type { InProcessEngineConfig } from './in-process-config';
import { LlamaNodeEngine, detectLlamaNodeGpu } from './llama-node-engine';
import { checkModelFolderDetailed, fileSha256, modelFingerprint, type DetailedFolderCheck } from './model-folder';
import { NodeLlamaCppEngine } from './node-llama-cpp-engine';
import { profileById } from './profiles';
import {
  assertPromptAccepted,
  decodingSettings,
  loadSystemPrompt,
  type GuardModelProfile,
  type SystemPrompt,
} from './profiles/profile';
import { RoutingEngine } from './routing-engine';

export interface EngineManagerOptions {
  dataDir: string;
  onState?: (s: EngineState) => void;
  maxPixels?: number;
  threads?: number;
  gpu?: 'auto' | false;
  /** The guard model when no request names one (default GuardTrace-VL). */
  profile?: GuardModelProfile;
  /** Profiles beyond the shipped ones that a load request may name (tests add a test-only profile here). */
  extraProfiles?: readonly GuardModelProfile[];
  /**
   * Which runtime audits cases WITHOUT an image when the in-process llama.node engine is chosen. 'node-llama-cpp'
   * loads the model a second time (double memory) but is ~10x faster on x64 CPUs with the prebuilt builds.
   * Default 'llama.node' (one copy of the model).
   */
  textOnlyEngine?: 'llama.node' | 'node-llama-cpp';
  /** Passed to the sidecar/openai engines. */
  llamaServerPath?: string | null;
  getApiKey?: (baseUrl: string) => Promise<string | null>;
  /** Evaluate the system prompt at load so the first case already reuses it (default true). */
  warmSystemPrompt?: boolean;
  /** Reuse the system prompt's KV between cases (default true; false only to measure what it saves). */
  prefixReuse?: boolean;
  /** Read at every load, so a changed setting applies at the next load instead of the next app start. */
  liveSettings?: () =>
    | Pick<EngineManagerOptions, 'maxPixels' | 'llamaServerPath'>
    | Promise<Pick<EngineManagerOptions, 'maxPixels' | 'llamaServerPath'>>;
}

/**
 * What every verdict of a load made from a validated folder shares: the profile, its prompt, the decoding settings
 * (repetition penalty from generation_config.json) and the files' sha256 (hashed once per file change).
 */
export async function folderVerdictContext(
  check: DetailedFolderCheck,
  prompt: SystemPrompt,
  profile: GuardModelProfile,
  maxPixels: number,
) {
  const [modelSha256, mmprojSha256] = await Promise.all([
    check.model ? fileSha256(check.model.path) : null,
    check.mmproj ? fileSha256(check.mmproj.path) : null,
  ]);
  return verdictContext({
    profile,
    prompt,
    decoding: decodingSettings(profile, check.generationConfig?.repetitionPenalty ?? null),
    modelSha256,
    mmprojSha256,
    imageMaxPixels: maxPixels,
  });
}

/** The configuration an in-process engine gets for a validated folder (exported for tests and the benchmark). */
export async function buildInProcessConfig(
  check: DetailedFolderCheck,
  prompt: SystemPrompt,
  opts: Omit<EngineManagerOptions, 'dataDir'>,
  notes: string[] = [],
): Promise<InProcessEngineConfig> {
  if (!check.model) throw new EngineError('model_folder_invalid', 'The model folder check found no language model.');
  const files = [check.model.path, ...(check.mmproj ? [check.mmproj.path] : [])];
  const maxPixels = opts.maxPixels ?? DEFAULT_MAX_PIXELS;
  const [fingerprint, verdict] = await Promise.all([
    modelFingerprint(files),
    folderVerdictContext(check, prompt, opts.profile ?? profileById(undefined), maxPixels),
  ]);
  return {
    modelPath: check.model.path,
    mmprojPath: check.mmproj?.path ?? null,
    mmprojSizeBytes: check.mmproj?.sizeBytes,
    facts: check.model,
    modelId: `${check.model.name}|${check.model.quantization}|${fingerprint}`,
    verdict,
    threads: opts.threads,
    gpu: opts.gpu ?? 'auto',
    maxPixels,
    warnings: [...check.warnings, ...notes],
    warmSystemPrompt: opts.warmSystemPrompt,
    prefixReuse: opts.prefixReuse,
  };
}

/** Adds the manager's own notes (why this engine was picked) to a remote engine's info. */
class AnnotatedEngine implements Engine {
  constructor(
    private readonly inner: Engine,
    private readonly notes: string[],
    private readonly gpuReason?: string,
  ) {}
  get kind() {
    return this.inner.kind;
  }
  info(): EngineInfo {
    const i = this.inner.info();
    return {
      ...i,
      warnings: [...this.notes, ...i.warnings],
      gpu: { ...i.gpu, reason: i.gpu.reason ?? this.gpuReason },
    };
  }
  audit(input: AuditInput, options?: AuditOptions): Promise<AuditResult> {
    return this.inner.audit(input, options);
  }
  dispose(): Promise<void> {
    return this.inner.dispose();
  }
}

export class EngineManager {
  private readonly lock = new AsyncLock();
  private engine: Engine | null = null;
  private current_: EngineState = { state: 'unloaded' };
  private opts: EngineManagerOptions;

  constructor(private readonly baseOpts: EngineManagerOptions) {
    this.opts = baseOpts;
  }

  state(): EngineState {
    return this.current_;
  }

  current(): Engine | null {
    return this.engine;
  }

  private setState(s: EngineState): EngineState {
    this.current_ = s;
    this.opts.onState?.(s);
    return s;
  }

  load(req: EngineLoadRequest): Promise<EngineState> {
    return this.lock.run(async () => {
      await this.unloadLocked();
      this.setState({ state: 'loading', modelDir: req.modelDir ?? req.openai?.baseUrl ?? '' });
      try {
        // Inside the try: an unknown profile id must leave the manager in 'error' with the reason, not 'loading'.
        this.opts = { ...this.baseOpts, ...(await this.baseOpts.liveSettings?.()) };
        if (req.profile) this.opts.profile = profileById(req.profile, this.baseOpts.extraProfiles);
        const created = await this.create(req);
        // Said with every load, whichever engine: a smaller image budget is a choice, never a silent default.
        const budget = imageBudgetWarning(this.opts.maxPixels ?? DEFAULT_MAX_PIXELS);
        this.engine = budget ? new AnnotatedEngine(created, [budget]) : created;
        return this.setState({ state: 'loaded', info: this.engine.info() });
      } catch (err) {
        this.engine = null;
        this.setState({ state: 'error', message: (err as Error).message });
        throw err;
      }
    });
  }

  unload(): Promise<EngineState> {
    return this.lock.run(() => this.unloadLocked());
  }

  private async unloadLocked(): Promise<EngineState> {
    const engine = this.engine;
    this.engine = null;
    if (engine) await engine.dispose();
    return this.setState({ state: 'unloaded' });
  }

  async dispose(): Promise<void> {
    await this.unload();
  }

  private profile(): GuardModelProfile {
    return this.opts.profile ?? profileById(undefined);
  }

  private async validatedFolder(req: EngineLoadRequest): Promise<{ check: DetailedFolderCheck; prompt: SystemPrompt }> {
    const profile = this.profile();
    if (!req.modelDir)
      throw new EngineError(
        'model_folder_invalid',
        `No model folder chosen: choose the folder with the ${profile.displayName} .gguf files and ${profile.prompt.fileName}.`,
      );
    const check = await checkModelFolderDetailed(req.modelDir, profile);
    if (!check.ok || !check.model || !check.promptPath) {
      throw new EngineError(
        check.errorCode ?? 'model_folder_invalid',
        check.errors.join('\n') || `${req.modelDir}: the model folder is incomplete`,
        { errors: check.errors },
      );
    }
    const prompt = await loadSystemPrompt(check.promptPath, profile);
    assertPromptAccepted(prompt, profile, req.acceptPromptMismatch, check.promptPath);
    return { check, prompt };
  }

  /** `parallel`: the request's cases in flight, as the sidecar gets its slot count (Settings.parallelism at load). */
  private async inProcessConfig(
    check: DetailedFolderCheck,
    prompt: SystemPrompt,
    notes: string[],
    parallel: number | undefined,
  ): Promise<InProcessEngineConfig> {
    return { ...(await buildInProcessConfig(check, prompt, this.opts, notes)), parallel };
  }

  private async create(req: EngineLoadRequest): Promise<Engine> {
    const selection: EngineSelection = req.engine ?? 'auto';
    if (selection === 'openai') return this.createHttpEngine(req, undefined, []);
    const { check, prompt } = await this.validatedFolder(req);
    const notes: string[] = [];

    if (selection === 'sidecar') return this.createHttpEngine(req, prompt, notes);
    if (selection === 'node-llama-cpp') {
      if (check.mmproj)
        notes.push(
          'node-llama-cpp has no image input: cases with an image will fail with no_vision; choose llama.node to audit images',
        );
      return NodeLlamaCppEngine.create(await this.inProcessConfig(check, prompt, notes, req.parallel));
    }
    if (selection === 'llama.node') return this.createInProcessVision(check, prompt, notes, req.parallel);

    // auto: GPU in-process if usable; else the llama-server sidecar (native CPU build) if one is installed;
    // else the prebuilt in-process build.
    if (!check.mmproj) {
      notes.push('auto: text-only model (no mmproj), so node-llama-cpp (fastest prebuilt CPU build, auto GPU)');
      return NodeLlamaCppEngine.create(await this.inProcessConfig(check, prompt, notes, req.parallel));
    }
    const gpu = await detectLlamaNodeGpu(this.opts.gpu ?? 'auto');
    if (gpu.backend !== 'cpu') {
      notes.push(`auto: in-process llama.node on the GPU (${gpu.backend})`);
      return this.createInProcessVision(check, prompt, notes, req.parallel);
    }
    let binary: { path: string; source: string } | null = null;
    try {
      const { findLlamaServerBinary } = await import('./sidecar/llama-server-binary');
      binary = await findLlamaServerBinary(this.opts.llamaServerPath ?? null);
    } catch (err) {
      notes.push(`auto: could not look for a llama-server binary (${(err as Error).message})`);
    }
    if (binary) {
      try {
        return await this.createHttpEngine(
          { ...req, engine: 'sidecar' },
          prompt,
          [
            `auto: ${gpu.reason}; using the llama-server sidecar (${binary.path}, from ${binary.source}) instead of the slower prebuilt in-process build`,
          ],
          gpu.reason,
        );
      } catch (err) {
        notes.push(
          `auto: the llama-server sidecar failed to start (${(err as Error).message}); fell back to the prebuilt in-process build`,
        );
      }
    } else {
      notes.push(
        `auto: ${gpu.reason}; no llama-server binary found (build one with npm run build:llama-server or choose one in settings), so the prebuilt in-process llama.node build is used`,
      );
    }
    return this.createInProcessVision(check, prompt, notes, req.parallel);
  }

  private async createInProcessVision(
    check: DetailedFolderCheck,
    prompt: SystemPrompt,
    notes: string[],
    parallel: number | undefined,
  ): Promise<Engine> {
    const cfg = await this.inProcessConfig(check, prompt, notes, parallel);
    const vision = await LlamaNodeEngine.create(cfg);
    if (this.opts.textOnlyEngine !== 'node-llama-cpp') return vision;
    try {
      // llama.node decodes one case at a time, so the pair never has more than one case in flight: one sequence.
      const textOnly = await NodeLlamaCppEngine.create({ ...cfg, mmprojPath: null, parallel: 1 });
      return new RoutingEngine(vision, textOnly);
    } catch (err) {
      await vision.dispose();
      throw err;
    }
  }

  private async createHttpEngine(
    req: EngineLoadRequest,
    prompt: SystemPrompt | undefined,
    notes: string[],
    gpuReason?: string,
  ): Promise<Engine> {
    const { createHttpEngine } = await import('./http-engines');
    const engine = await createHttpEngine(req, {
      dataDir: this.opts.dataDir,
      maxPixels: this.opts.maxPixels ?? DEFAULT_MAX_PIXELS,
      systemPrompt: prompt,
      profile: this.profile(),
      modelDir: req.modelDir,
      llamaServerPath: this.opts.llamaServerPath ?? null,
      getApiKey: this.opts.getApiKey,
      threads: this.opts.threads,
      concurrency: req.parallel,
    });
    return notes.length || gpuReason ? new AnnotatedEngine(engine, notes, gpuReason) : engine;
  }
}
