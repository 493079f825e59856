// In-process engine on @fugood/llama.node (llama.cpp + libmtmd): the only runtime here that takes images.
import { performance } from 'node:perf_hooks';
import {
  BuildInfo,
  addNativeLogListener,
  getBackendDevicesInfo,
  isLibVariantAvailable,
  loadModel,
  toggleNativeLog,
  type LibVariant,
} from '@fugood/llama.node';
import { AsyncLock } from './async-lock';
import { assertFitsContext, buildAuditResult, fitsContext, prepareCaseImage, throwIfAborted } from './audit-common';
import { cpuThreads } from './cpu-threads';
import { auditGrammar, JudgmentWatch } from './judgment-stop';
import {
  EngineError,
  type AuditInput,
  type AuditOptions,
  type AuditResult,
  type Engine,
  type EngineInfo,
} from './engine';
import { visionTokenLimits } from './image-prep';
import type { InProcessEngineConfig } from './in-process-config';
import { clampParallelCases } from './parallelism';
import { MTMD_MEDIA_MARKER, splitSharedPrefix } from './profiles/chatml';
import {
  isPostSamplingChoice,
  levelProbabilities,
  stepsOfLatestCompletion,
  type LevelProbsResult,
  type TokenStep,
} from './profiles/level-probs';
import { renderSystemTurn, type GuardModelProfile } from './profiles/profile';
import { TOP_PROBS, llamaNodeSampling } from './reference-sampling';

type LlamaNodeContext = Awaited<ReturnType<typeof loadModel>>;

export const LLAMA_NODE_VERSION = '1.7.15';

export interface LlamaNodeGpuChoice {
  variant: LibVariant;
  backend: string;
  reason?: string;
}

/** GPU builds ship as optional packages (cuda, vulkan); on macOS the default build has Metal. */
export async function detectLlamaNodeGpu(gpu: 'auto' | false): Promise<LlamaNodeGpuChoice> {
  if (gpu === false) return { variant: 'default', backend: 'cpu', reason: 'GPU disabled in settings' };
  const tried: string[] = [];
  for (const variant of ['cuda', 'vulkan', 'default'] as const) {
    let available = false;
    try {
      available = await isLibVariantAvailable(variant);
    } catch {
      available = false;
    }
    if (!available) {
      if (variant !== 'default') tried.push(`${variant} build not installed or its driver library is missing`);
      continue;
    }
    try {
      const devices = await getBackendDevicesInfo(variant);
      const gpuDevice = devices.find((d) => d.type === 'gpu');
      if (gpuDevice) return { variant, backend: gpuDevice.backend.toLowerCase(), reason: undefined };
      if (variant !== 'default') tried.push(`${variant} build found no GPU device`);
    } catch (err) {
      tried.push(`${variant} build failed to list devices (${(err as Error).message})`);
    }
  }
  return {
    variant: 'default',
    backend: 'cpu',
    reason: `no usable GPU: ${tried.join('; ') || 'no GPU build available for this platform'}`,
  };
}

/** The prebuilt linux/windows x64 CPU library is compiled without AVX; its system info then lists no x86 SIMD flags. */
export function llamaNodeCpuPenalty(systemInfo: string, backend: string): string | undefined {
  if (backend !== 'cpu' || process.arch !== 'x64') return undefined;
  if (/\bAVX2? = 1/.test(systemInfo)) return undefined;
  return 'prebuilt x64 CPU library has no AVX/AVX2/AVX-512 code: about 10x slower than node-llama-cpp on the same CPU (see docs/engine.md)';
}

/** Why a parallelism setting above 1 does not apply to llama.node (shown with the engine's info). */
export const LLAMA_NODE_ONE_CASE_AT_A_TIME =
  'llama.node audits one case at a time: its parallel mode (1.7.15) reports no confidence per level and re-evaluates the cached system prompt for every case (docs/engine.md, "Cases in flight"); the sidecar and node-llama-cpp decode several cases together';

type CompletionArgs = Parameters<LlamaNodeContext['completion']>;

const STALE_COMPLETION = /another completion is in progress/i;

async function openContext(cfg: InProcessEngineConfig, gpu: LlamaNodeGpuChoice): Promise<LlamaNodeContext> {
  const logTail: string[] = [];
  const listener = addNativeLogListener((_level, text) => {
    logTail.push(text.trimEnd());
    if (logTail.length > 40) logTail.shift();
  });
  // Native logs are captured only while loading (to explain load failures); left on, they keep Node from exiting.
  await toggleNativeLog(true);
  let ctx: LlamaNodeContext | null = null;
  try {
    ctx = await loadModel({
      model: cfg.modelPath,
      lib_variant: gpu.variant,
      n_ctx: cfg.verdict.decoding.contextSize,
      n_batch: 512,
      // One sequence, whatever Settings.parallelism says: llama.node 1.7.15's parallel mode (n_parallel + queueCompletion)
      // reports token probabilities only after sampling (no p(level)) and re-evaluates the whole prompt for every
      // request, the cached system prompt included (docs/engine.md, "Cases in flight").
      n_parallel: 1,
      n_threads: cpuThreads(cfg.threads),
      n_gpu_layers: gpu.backend === 'cpu' ? 0 : 999,
      ctx_shift: false,
      use_mmap: true,
    });
    if (cfg.mmprojPath) {
      // libmtmd would otherwise resize again to its own Qwen2.5-VL limits (8..4,096 tokens): a 4K image prepared at the
      // reference's 10,549 tokens would be shrunk, a 10x10 one enlarged. The reference's own range makes it keep ours.
      const tokens = visionTokenLimits();
      const ok = ctx.initMultimodal({
        path: cfg.mmprojPath,
        use_gpu: gpu.backend !== 'cpu',
        image_min_tokens: tokens.min,
        image_max_tokens: tokens.max,
      });
      if (!ok || !ctx.getMultimodalSupport().vision) {
        throw new EngineError(
          'load_failed',
          `${cfg.mmprojPath}: llama.node could not initialise the vision projector. Last native log lines:\n${logTail.slice(-8).join('\n')}`,
        );
      }
    }
    return ctx;
  } catch (err) {
    await ctx?.release().catch(() => undefined);
    if (err instanceof EngineError) throw err;
    throw new EngineError(
      'load_failed',
      `${cfg.modelPath}: llama.node failed to load the model (${(err as Error).message}). Last native log lines:\n${logTail.slice(-8).join('\n')}`,
    );
  } finally {
    await toggleNativeLog(false);
    listener.remove();
  }
}

export class LlamaNodeEngine implements Engine {
  readonly kind = 'llama.node' as const;
  private readonly lock = new AsyncLock();
  private disposed = false;
  /** Time of the last audit spent outside the native completion call (image prep, templating, parsing): the app's overhead. */
  lastOverheadMs = 0;

  private sharedTokenCount: { text: string; count: number } | null = null;
  /** Times the native context was reopened after llama.node left a finished completion marked "in progress". */
  contextReopens = 0;

  private constructor(
    private ctx: LlamaNodeContext,
    private readonly cfg: InProcessEngineConfig,
    private readonly gpu: LlamaNodeGpuChoice,
    private readonly infoValue: EngineInfo,
  ) {}

  static async create(cfg: InProcessEngineConfig): Promise<LlamaNodeEngine> {
    const gpu = await detectLlamaNodeGpu(cfg.gpu);
    const ctx = await openContext(cfg, gpu);
    const systemInfo = ctx.getSystemInfo();
    const cpuPenalty = llamaNodeCpuPenalty(systemInfo, gpu.backend);
    const info: EngineInfo = {
      engine: 'llama.node',
      profileId: cfg.verdict.profile.id,
      decoding: cfg.verdict.decoding,
      modelId: cfg.modelId,
      modelName: cfg.facts.name,
      architecture: cfg.facts.architecture,
      quantization: cfg.facts.quantization,
      sizeBytes: cfg.facts.sizeBytes + (cfg.mmprojSizeBytes ?? 0),
      contextLength: cfg.verdict.decoding.contextSize,
      trainedContextLength: cfg.facts.contextLength ?? undefined,
      hasVision: Boolean(cfg.mmprojPath),
      gpu: { backend: gpu.backend, reason: gpu.reason },
      build: {
        name: `@fugood/llama.node ${gpu.variant === 'default' ? `prebuilt ${process.platform}-${process.arch}` : `${gpu.variant} build`} (llama.cpp b${BuildInfo.number})`,
        version: LLAMA_NODE_VERSION,
        cpuPenalty,
      },
      promptSha256: cfg.verdict.prompt.sha256,
      promptHashOk: cfg.verdict.prompt.hashOk,
      dataLeavesMachine: false,
      warnings: [
        ...cfg.warnings,
        ...(cpuPenalty ? [cpuPenalty] : []),
        ...(clampParallelCases(cfg.parallel) > 1 ? [LLAMA_NODE_ONE_CASE_AT_A_TIME] : []),
      ],
      parallelSlots: 1,
      cpuThreads: cpuThreads(cfg.threads),
    };
    const engine = new LlamaNodeEngine(ctx, cfg, gpu, info);
    if (cfg.warmSystemPrompt !== false && cfg.prefixReuse !== false) await engine.warmSharedPrefix();
    return engine;
  }

  info(): EngineInfo {
    return structuredClone(this.infoValue);
  }

  /**
   * Safety net: llama.node 1.7.15 can leave a finished completion marked "in progress" (its worker skips the callback
   * that clears the marker when it throws, and the callback is registered only after the worker is queued), after
   * which the context refuses every completion with "Another completion is in progress". Our lock guarantees nothing
   * is running, so the marker is stale: reopen the context (mmap'd weights reload quickly), re-warm, retry once.
   */
  private async complete(...args: CompletionArgs): ReturnType<LlamaNodeContext['completion']> {
    try {
      const result = await this.ctx.completion(...args);
      await queuedNativeCallbacksDelivered();
      return result;
    } catch (err) {
      if (!STALE_COMPLETION.test((err as Error).message)) throw err;
      await this.ctx.release().catch(() => undefined);
      this.ctx = await openContext(this.cfg, this.gpu);
      this.contextReopens++;
      if (this.cfg.warmSystemPrompt !== false && this.cfg.prefixReuse !== false) {
        await this.ctx
          .completion({ prompt: this.sharedPrefix(), n_predict: 1, ...llamaNodeSampling(this.cfg.verdict.decoding) })
          .catch(() => undefined);
      }
      const result = await this.ctx.completion(...args);
      await queuedNativeCallbacksDelivered();
      return result;
    }
  }

  private sharedPrefix(): string {
    return renderSystemTurn(this.cfg.verdict.profile, this.cfg.verdict.prompt.text);
  }

  /**
   * Evaluates the system turn once so the first case already reuses it. Measured limit of llama.node's reuse: on its
   * image path it keeps only whole text chunks, so an image case that follows a TEXT-ONLY case re-evaluates the system
   * prompt (image→image and image→text keep it). Routing text-only cases to node-llama-cpp (textOnlyEngine) or
   * auditing image cases together avoids that; see docs/engine.md.
   */
  private async warmSharedPrefix(): Promise<void> {
    // n_predict 1, not 0: after an n_predict 0 completion llama.node 1.7.15 intermittently keeps its "in progress"
    // marker and refuses the next completion (3 of 12 runs in a stress test; 0 of 12 with n_predict 1).
    await this.lock.run(() =>
      this.complete({ prompt: this.sharedPrefix(), n_predict: 1, ...llamaNodeSampling(this.cfg.verdict.decoding) }),
    );
  }

  private async countTokens(text: string): Promise<number> {
    return (await this.ctx.tokenize(text)).tokens.length;
  }

  audit(input: AuditInput, options: AuditOptions = {}): Promise<AuditResult> {
    return this.lock.run(() => this.auditLocked(input, options));
  }

  private async auditLocked(input: AuditInput, options: AuditOptions): Promise<AuditResult> {
    if (this.disposed) throw new EngineError('load_failed', 'The model was unloaded; load it again before auditing.');
    const t0 = performance.now();
    const { signal } = options;
    throwIfAborted(signal, input.caseId);
    const { profile, prompt: systemPrompt, decoding } = this.cfg.verdict;
    const maxNewTokens = options.maxNewTokens ?? decoding.maxNewTokens;
    const image = await prepareCaseImage(input, this.cfg.maxPixels, 'ppm');
    if (image.dataUri && !this.infoValue.hasVision) {
      throw new EngineError(
        'no_vision',
        `Case ${input.caseId} has an image but the loaded model has no mmproj; add the GuardTrace-VL mmproj file to the model folder and reload.`,
        { caseId: input.caseId },
      );
    }
    const messages = profile.buildMessages(
      systemPrompt.text,
      { ...input, imageMissing: image.imageMissing },
      image.dataUri,
    );
    const prompt = profile.render(messages, MTMD_MEDIA_MARKER);
    // libmtmd expands the marker to the image's embeddings; text tokens are counted without it.
    // The shared system turn ends in "<|im_end|>\n" and the rest starts with a special token, so token counts add up;
    // the shared part is counted once per model, not per case.
    const { shared, perCase } = splitSharedPrefix(prompt);
    if (this.sharedTokenCount?.text !== shared)
      this.sharedTokenCount = { text: shared, count: await this.countTokens(shared) };
    const textTokens = this.sharedTokenCount.count + (await this.countTokens(perCase.replace(MTMD_MEDIA_MARKER, '')));
    const promptTokens = textTokens + (image.dataUri ? image.visionTokens + 2 : 0);
    if (!fitsContext(promptTokens, decoding, maxNewTokens)) {
      // Only now are the parts counted: they are needed for the error message alone.
      const partCounts = new Map<string, number>();
      for (const part of [input.query, input.thinking, input.response])
        partCounts.set(part, await this.countTokens(part));
      assertFitsContext({
        input,
        promptTokens,
        decoding,
        maxNewTokens,
        countTokens: (t) => partCounts.get(t) ?? 0,
        visionTokens: image.visionTokens,
      });
    }
    throwIfAborted(signal, input.caseId);

    if (this.cfg.prefixReuse === false) this.ctx.clearCache();
    let aborted = false;
    const onAbort = () => {
      aborted = true;
      this.ctx.stopCompletion();
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    let firstTokenAt: number | null = null;
    // Counted here: llama.node's tokens_predicted skips the first token when the whole prompt came from the cache.
    let streamedTokens = 0;
    let nativeMs = 0;
    const grammar = auditGrammar(profile, options);
    let accumulatedText: string | undefined;
    const judgment = new JudgmentWatch(profile, options, () => accumulatedText);
    try {
      const nativeStart = performance.now();
      const result = await this.complete(
        {
          prompt,
          media_paths: image.dataUri ? [image.dataUri] : undefined,
          n_predict: maxNewTokens,
          ...llamaNodeSampling(decoding),
          n_probs: TOP_PROBS,
          grammar,
        },
        (token) => {
          firstTokenAt ??= performance.now();
          streamedTokens++;
          if (token.token) options.onToken?.(token.token);
          // The stop lands a token or two late (the callbacks trail the native loop); those are counted as generated.
          accumulatedText = token.accumulated_text ?? accumulatedText;
          if (judgment.watching && judgment.push(token.token ?? '')) this.ctx.stopCompletion();
        },
      );
      nativeMs = performance.now() - nativeStart;
      if (aborted || signal?.aborted)
        throw new EngineError('aborted', `Audit of case ${input.caseId} was cancelled.`, { caseId: input.caseId });
      const end = performance.now();
      const promptEnd = firstTokenAt ?? end;
      const evaluated = result.timings.prompt_n;
      const steps = stepsOfLatestCompletion(
        (result.completion_probabilities ?? []).map((step) => ({
          text: step.content,
          top: step.probs.map((p) => ({ text: p.tok_str, prob: p.prob })),
        })),
        result.text,
      );
      // The token callbacks arrive through a thread-safe function and, on a loaded machine, the last ones can land
      // after the completion resolved: the per-token probabilities (n_probs is always set) count them too.
      const generatedTokens = Math.max(streamedTokens, result.tokens_predicted, steps?.length ?? 0);
      const audit = buildAuditResult({
        engine: 'llama.node',
        modelId: this.cfg.modelId,
        context: this.cfg.verdict,
        options,
        rawOutput: result.text,
        stoppedOnLength:
          judgment.outcome(grammar) !== 'after_judgment' && (result.context_full || generatedTokens >= maxNewTokens),
        judgmentStop: judgment.outcome(grammar),
        // Measured: its sampler starts with an empty penalty window, so the prompt is not penalised (docs/engine.md).
        repetitionPenaltyWindow: 'generated tokens only',
        confidence: llamaNodeConfidence(profile, steps),
        imageMissing: image.imageMissing,
        promptTokens,
        cachedPromptTokens: Math.max(0, promptTokens - evaluated),
        generatedTokens,
        promptMs: promptEnd - t0,
        generateMs: end - promptEnd,
        totalMs: end - t0,
      });
      this.lastOverheadMs = performance.now() - t0 - nativeMs;
      return audit;
    } catch (err) {
      if (err instanceof EngineError) throw err;
      throw new EngineError(
        'generation_failed',
        `llama.node failed while auditing case ${input.caseId}: ${(err as Error).message}`,
        { caseId: input.caseId },
      );
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    await this.lock.run(async () => {
      this.ctx.releaseMultimodal?.();
      await this.ctx.release();
    });
  }
}

/**
 * llama.node queues each streamed token through a thread-safe function, and libuv can deliver the completion's own
 * callback first, in the same poll phase. Waiting for the check phase (setImmediate) lets the queued token callbacks
 * run: the stream and the token count are complete when the audit returns, and no queued callback (which reads the
 * llama context to spell the token probabilities) can run after dispose() has released that context.
 */
function queuedNativeCallbacksDelivered(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Why llama.node verdicts under greedy decoding carry no confidence (docs/engine.md, "Confidence"). */
export const LLAMA_NODE_NO_PROBS =
  'no confidence: llama.node 1.7.15 reports token probabilities after its sampler chain, which under greedy decoding ' +
  "gives the chosen token 1 and every other 0 (not the model's distribution); the sidecar and node-llama-cpp give one";

function llamaNodeConfidence(profile: GuardModelProfile, steps: TokenStep[] | null): LevelProbsResult {
  if (!steps)
    return { levelProbs: null, note: 'llama.node returned token probabilities that do not spell this output' };
  if (isPostSamplingChoice(steps)) return { levelProbs: null, note: LLAMA_NODE_NO_PROBS };
  return levelProbabilities(profile, steps);
}
