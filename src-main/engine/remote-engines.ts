// Entry point for the engines that talk HTTP: a user-configured OpenAI-compatible server ('openai') and the local
// llama-server the app starts itself ('sidecar'). The EngineManager imports this module dynamically.
import type { EngineLoadRequest } from '../api/contract';
import { EngineError, type Engine } from './engine';
import { checkModelFolderDetailed, loadSystemPrompt, modelFingerprint } from './model-folder';
import { OpenAiCompatibleEngine, type SystemPrompt } from './openai/openai-engine';
import { clampParallelCases, slotContextSize } from './parallelism';
import { findLlamaServerBinary, llamaServerNotFoundHelp } from './sidecar/llama-server-binary';
import { llamaServerFlags } from './sidecar/llama-server-flags';
import { LlamaServerSidecar, type SidecarEvent } from './sidecar/llama-server-sidecar';

export interface RemoteEngineContext {
  dataDir: string;
  maxPixels: number;
  /** The app passes a getter over Electron safeStorage; without it the key comes from an environment variable. */
  getApiKey?: () => Promise<string | null>;
  systemPrompt?: SystemPrompt;
  modelDir?: string;
  llamaServerPath?: string | null;
  /** Cases in flight: requests to a server, slots (-np) of the sidecar (default 1). */
  concurrency?: number;
  contextSize?: number;
  threads?: number;
  onSidecarEvent?: (event: SidecarEvent) => void;
}

export const DEFAULT_API_KEY_ENV = 'GUARDTRACE_API_KEY';

function apiKeyGetter(req: EngineLoadRequest, ctx: RemoteEngineContext): () => Promise<string | null> {
  // An explicit environment variable (CLI --api-key-env) wins; else the app's secret store; else GUARDTRACE_API_KEY.
  const envName = req.openai?.apiKeyEnv;
  if (envName) return async () => process.env[envName] || null;
  if (ctx.getApiKey) return ctx.getApiKey;
  return async () => process.env[DEFAULT_API_KEY_ENV] || null;
}

async function systemPromptFor(
  req: EngineLoadRequest,
  ctx: RemoteEngineContext,
  promptPath: string | null,
): Promise<SystemPrompt> {
  let prompt = ctx.systemPrompt ?? null;
  if (!prompt && promptPath) prompt = await loadSystemPrompt(promptPath);
  if (!prompt) {
    throw new EngineError(
      'model_folder_invalid',
      'No GuardTrace system prompt: choose a model folder that holds qta_pormpt.txt (the prompt is sent to the server with every case).',
    );
  }
  if (!prompt.hashOk && !req.acceptPromptMismatch) {
    throw new EngineError(
      'prompt_hash_mismatch',
      `The system prompt's sha256 ${prompt.sha256.slice(0, 12)}… differs from GuardTrace's; verdicts would not be comparable. Load with "accept prompt mismatch" to use it anyway.`,
      { sha256: prompt.sha256 },
    );
  }
  return prompt;
}

export async function createRemoteEngine(req: EngineLoadRequest, ctx: RemoteEngineContext): Promise<Engine> {
  if (req.engine === 'openai') return createOpenAiEngine(req, ctx);
  if (req.engine === 'sidecar') return createSidecarEngine(req, ctx);
  throw new EngineError(
    'load_failed',
    `createRemoteEngine handles the 'openai' and 'sidecar' engines, not '${req.engine ?? 'auto'}'.`,
  );
}

async function createOpenAiEngine(req: EngineLoadRequest, ctx: RemoteEngineContext): Promise<Engine> {
  const settings = req.openai;
  if (!settings?.baseUrl || !settings.model) {
    throw new EngineError(
      'load_failed',
      'The OpenAI-compatible engine needs a server address and a model name: set both in Settings → Engine (CLI: --base-url and --model).',
    );
  }
  const modelDir = req.modelDir ?? ctx.modelDir;
  let promptPath: string | null = null;
  if (!ctx.systemPrompt && modelDir) promptPath = (await checkModelFolderDetailed(modelDir)).promptPath;
  const systemPrompt = await systemPromptFor(req, ctx, promptPath);
  return OpenAiCompatibleEngine.connect({
    baseUrl: settings.baseUrl,
    model: settings.model,
    allowInsecureRemote: settings.allowInsecureRemote ?? false,
    getApiKey: apiKeyGetter(req, ctx),
    systemPrompt,
    maxPixels: ctx.maxPixels,
    concurrency: ctx.concurrency,
  });
}

async function createSidecarEngine(req: EngineLoadRequest, ctx: RemoteEngineContext): Promise<Engine> {
  const modelDir = req.modelDir ?? ctx.modelDir;
  if (!modelDir)
    throw new EngineError(
      'model_folder_invalid',
      'The local llama-server needs a model folder: choose the GuardTrace-VL folder in Settings → Engine.',
    );
  const folder = await checkModelFolderDetailed(modelDir);
  if (!folder.ok || !folder.modelPath || !folder.model) {
    throw new EngineError(
      folder.errorCode ?? 'model_folder_invalid',
      `The model folder ${modelDir} cannot be used: ${folder.errors.join('; ')}`,
      { modelDir, errors: folder.errors },
    );
  }
  const systemPrompt = await systemPromptFor(req, ctx, folder.promptPath);
  const binary = await findLlamaServerBinary(ctx.llamaServerPath);
  if (!binary) throw new EngineError('load_failed', llamaServerNotFoundHelp(ctx.llamaServerPath));

  const files = [folder.modelPath, ...(folder.mmprojPath ? [folder.mmprojPath] : [])];
  const slots = clampParallelCases(ctx.concurrency);
  const perSlotContext = slotContextSize(ctx.contextSize);
  const flags = await llamaServerFlags(binary.path);
  const [fingerprint, sidecar] = await Promise.all([
    modelFingerprint(files),
    LlamaServerSidecar.start({
      binaryPath: binary.path,
      modelPath: folder.modelPath,
      mmprojPath: folder.mmprojPath,
      dataDir: ctx.dataDir,
      contextSize: slots * perSlotContext,
      threads: ctx.threads,
      parallel: slots,
      // One pool for all slots: a slot holding a short case leaves its room to the others.
      unifiedKv: slots > 1 && flags.kvUnified ? { perSlotContext, perSlotFlag: flags.kvUnifiedPerSlot } : undefined,
      onEvent: ctx.onSidecarEvent,
    }),
  ]);
  const model = folder.model;
  try {
    return await OpenAiCompatibleEngine.connect({
      baseUrl: sidecar.baseUrl,
      model: model.name,
      systemPrompt,
      maxPixels: ctx.maxPixels,
      concurrency: slots,
      resolveEndpoint: () => sidecar.endpoint(),
      // Without an mmproj the folder check already warned; the engine then audits image cases as text-only.
      visionProbe: folder.mmprojPath ? 'require' : 'warn',
      identity: {
        modelId: `${model.name} ${model.quantization} ${fingerprint}`,
        modelName: model.name,
        architecture: model.architecture,
        quantization: model.quantization,
        sizeBytes: model.sizeBytes,
        ...(model.contextLength ? { trainedContextLength: model.contextLength } : {}),
        gpu: {
          backend: 'llama-server',
          reason: `local llama-server (${binary.source}: ${binary.path}); its log: ${sidecar.logPath}`,
        },
        build: { name: 'llama-server sidecar', version: binary.path },
      },
      warnings: folder.warnings,
      onDispose: () => sidecar.stop(),
    });
  } catch (error) {
    await sidecar.stop();
    throw error;
  }
}
