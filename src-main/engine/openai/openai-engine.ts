// The Engine behind an OpenAI-compatible chat-completions server: vLLM on a GPU server, or llama.cpp's llama-server
// (remote, or the local sidecar). It sends exactly the input the in-process engines build, from the same profile.
import {
  EngineError,
  type AuditInput,
  type AuditOptions,
  type AuditResult,
  type Engine,
  type EngineInfo,
} from '../engine';
import { DEFAULT_MAX_PIXELS } from '../image-prep';
import {
  assertFitsContext,
  buildAuditResult,
  fitsContext,
  prepareCaseImage,
  throwIfAborted,
  type VerdictContext,
} from '../audit-common';
import { MTMD_MEDIA_MARKER, type ChatMessage } from '../profiles/chatml';
import { auditGrammar, JudgmentWatch } from '../judgment-stop';
import { levelProbabilities, type TokenStep } from '../profiles/level-probs';
import { TOP_PROBS, llamaServerSampling, openAiSampling } from '../reference-sampling';
import { solidColourPng } from './solid-png';
import { ConcurrencyLimit } from './concurrency-limit';
import { checkEndpoint, type CheckedEndpoint } from './endpoint-policy';
import { httpError, isTransient, networkError } from './http-errors';
import { readSseData } from './sse';
import { fetchFor } from './unix-socket-fetch';
import {
  DEFAULT_RESPONSE_LIMITS,
  limitError,
  readBodyCapped,
  readJsonCapped,
  refuseRedirect,
  type ResponseLimits,
} from './response-limits';
import { probeVision, type VisionProbeResult } from './vision-probe';
import { imageTokenMismatch, probeImageTokens, type ImageTokenCheck } from './image-token-probe';

/** The endpoint can move (the sidecar may come back on another port with the same key after a restart). */
export interface Endpoint {
  baseUrl: string;
  apiKey: string | null;
  /** The local sidecar's Unix socket (Linux, macOS): requests go there; baseUrl then only names the path prefix. */
  socketPath?: string | null;
}

export interface OpenAiEngineOptions {
  baseUrl: string;
  model: string;
  /** The key comes from secret storage (app) or an environment variable (CLI); never from a settings file. */
  getApiKey?: () => Promise<string | null>;
  allowInsecureRemote?: boolean;
  /** The guard-model profile, its prompt, the decoding settings and the provenance of what is known locally. */
  verdict: VerdictContext;
  /** Images are downscaled to this many pixels before they are sent, as for the in-process engines. */
  maxPixels?: number;
  /** Requests in flight at once (default 1; raise it for a GPU server with several slots). */
  concurrency?: number;
  /** Time to get response headers or a probe answer (default 30 s). */
  connectTimeoutMs?: number;
  /** Time until the first streamed piece; prompt processing of a long case on CPU takes minutes (default 15 min). */
  firstTokenTimeoutMs?: number;
  /** Longest silence between two streamed pieces (default 120 s). */
  idleTimeoutMs?: number;
  /** Retries for transient failures (connection reset or refused, 429, 502, 503, 504); never for other 4xx (default 3). */
  maxRetries?: number;
  /** First backoff delay; doubles per retry, with jitter (default 500 ms). */
  retryBaseDelayMs?: number;
  /** 'require' (default) refuses servers that drop images; 'warn' only records a warning; 'skip' does not probe. */
  visionProbe?: 'require' | 'warn' | 'skip';
  /**
   * llama.cpp servers only: render a probe case with the server's chat template at connect and refuse the server
   * when it differs from the profile's rendering by one byte (default true).
   */
  templateCheck?: boolean;
  /** llama-server only: reuse the KV cache of a shared prompt prefix (its default). Sent only to llama.cpp servers. */
  cachePrompt?: boolean;
  /** Replaces the static baseUrl/getApiKey, awaited before every request (the sidecar waits for a restart here). */
  resolveEndpoint?: () => Promise<Endpoint>;
  /** Known identity when the model file is local (sidecar); otherwise derived from the server's model list. */
  identity?: Partial<
    Pick<
      EngineInfo,
      | 'modelId'
      | 'modelName'
      | 'architecture'
      | 'quantization'
      | 'sizeBytes'
      | 'contextLength'
      | 'trainedContextLength'
      | 'build'
      | 'gpu'
    >
  >;
  warnings?: string[];
  /** Called once by dispose() (the sidecar stops its server here). */
  onDispose?: () => Promise<void>;
  /** Caps on what the server may send and on a case's wall time (response-limits.ts). */
  limits?: Partial<ResponseLimits>;
}

/** What one case's verdict needs to know about its image beyond the stream: whether it is still the reference input. */
interface ImageFidelity {
  /** An image was sent with this case. */
  imageSent: boolean;
  visionTokens: number;
  /** The prompt length the reference input has (llama.cpp servers: /tokenize + vision tokens); null when unknown. */
  expectedPromptTokens: number | null;
}

interface ServerFacts {
  llamaCpp: boolean;
  contextLength: number | null;
  listedModels: string[];
}

interface TopLogprob {
  token?: string;
  logprob?: number;
}

interface StreamChunk {
  choices?: Array<{
    delta?: { content?: string | null };
    finish_reason?: string | null;
    logprobs?: { content?: Array<TopLogprob & { top_logprobs?: TopLogprob[] }> | null } | null;
  }>;
  usage?: {
    prompt_tokens?: number;
    completion_tokens?: number;
    prompt_tokens_details?: { cached_tokens?: number } | null;
  } | null;
  timings?: { cache_n?: number; prompt_n?: number; prompt_ms?: number; predicted_n?: number; predicted_ms?: number };
  error?: unknown;
  /** llama-server with verbose: true — the settings it really ran the request with. */
  __verbose?: { generation_settings?: Record<string, unknown> } | null;
}

export class OpenAiCompatibleEngine implements Engine {
  readonly kind = 'openai' as const;
  private readonly limit: ConcurrencyLimit;
  private readonly controllers = new Set<AbortController>();
  private disposed = false;
  /** The sampling settings llama-server reported back for the last case (llama.cpp servers only). */
  lastReportedSampling: Record<string, unknown> | null = null;

  private constructor(
    private readonly options: OpenAiEngineOptions,
    private readonly endpoint: CheckedEndpoint,
    private readonly facts: ServerFacts,
    private readonly engineInfo: EngineInfo,
    /** The load-time check of the server's image tokens; null when images are not sent (no vision). */
    private readonly imageTokenCheck: ImageTokenCheck | null,
  ) {
    this.limit = new ConcurrencyLimit(options.concurrency ?? 1);
  }

  /** Checks the address policy, the key, the model name and (by default) that the server really reads images. */
  static async connect(options: OpenAiEngineOptions): Promise<OpenAiCompatibleEngine> {
    const endpoint = checkEndpoint(options.baseUrl, options.allowInsecureRemote ?? false);
    const transport = new Transport(options, endpoint);
    const facts = await transport.serverFacts(options.model);
    const warnings = [...(options.warnings ?? [])];
    let vision: VisionProbeResult | null = null;
    if ((options.visionProbe ?? 'require') !== 'skip') {
      vision = await probeVision(
        (body, signal) => transport.postJson('/chat/completions', body, signal),
        options.model,
      );
      if (!vision.hasVision) {
        if ((options.visionProbe ?? 'require') === 'require') {
          throw new EngineError(
            'no_vision',
            `${endpoint.host} serves "${options.model}" without image input: ${vision.evidence}. ` +
              'GuardTrace needs the image: start llama-server with --mmproj <mmproj.gguf>, or serve the vision model with vLLM.',
            { host: endpoint.host, evidence: vision.evidence },
          );
        }
        warnings.push(`The server ignores images (${vision.evidence}); cases with images are audited without them.`);
      }
    }
    // Image verdicts claim the reference only when the server is seen to keep smart_resize's size.
    let imageTokenCheck: ImageTokenCheck | null = null;
    if (vision === null) {
      imageTokenCheck = {
        checked: false,
        matchesReference: false,
        evidence: 'the vision probe was skipped, so whether the server resizes images again was not checked',
      };
    } else if (vision.hasVision) {
      const { recipe } = options.verdict.profile;
      imageTokenCheck = await probeImageTokens(
        (body, signal) => transport.postJson('/chat/completions', body, signal),
        options.model,
        vision.imagePromptTokens,
        { minPixels: recipe.imageMinPixels, maxPixels: recipe.imageMaxPixels },
      );
    }
    if (imageTokenCheck && !imageTokenCheck.matchesReference)
      warnings.push(`Verdicts on image cases will not be marked as the reference recipe: ${imageTokenCheck.evidence}.`);
    // A server seen to refuse images (a text-only model) has its template checked on the text-only input alone.
    if (facts.llamaCpp && options.templateCheck !== false)
      await checkServerTemplate(transport, options, vision?.hasVision !== false);
    if (!endpoint.loopback) {
      warnings.push(`Case text and images are sent to ${endpoint.host}.`);
    }
    const { decoding } = options.verdict;
    if (facts.contextLength !== null && facts.contextLength < decoding.contextSize) {
      warnings.push(
        `${endpoint.host} serves a ${facts.contextLength}-token context; the reference needs ${decoding.contextSize} ` +
          `(${decoding.maxPromptTokens} prompt + ${decoding.maxNewTokens} new tokens). Long cases will be refused: ` +
          `start llama-server with -c ${decoding.contextSize}, or vLLM with --max-model-len ${decoding.contextSize}.`,
      );
    }
    const id = options.identity ?? {};
    const info: EngineInfo = {
      engine: 'openai',
      profileId: options.verdict.profile.id,
      decoding,
      modelId: id.modelId ?? `openai:${options.model}@${endpoint.host}`,
      modelName: id.modelName ?? options.model,
      architecture: id.architecture ?? 'unknown (remote)',
      quantization: id.quantization ?? 'unknown (remote)',
      sizeBytes: id.sizeBytes ?? 0,
      contextLength: id.contextLength ?? facts.contextLength ?? 0,
      ...(id.trainedContextLength !== undefined ? { trainedContextLength: id.trainedContextLength } : {}),
      hasVision: vision ? vision.hasVision : true,
      gpu: id.gpu ?? { backend: 'remote', reason: `runs on the server at ${endpoint.host}` },
      build: id.build ?? {
        name: facts.llamaCpp ? 'llama-server (OpenAI-compatible)' : 'OpenAI-compatible server',
        version: 'remote',
      },
      promptSha256: options.verdict.prompt.sha256,
      promptHashOk: options.verdict.prompt.hashOk,
      dataLeavesMachine: endpoint.loopback ? false : { host: endpoint.host },
      warnings,
      parallelSlots: options.concurrency ?? 1,
    };
    return new OpenAiCompatibleEngine(options, endpoint, facts, info, imageTokenCheck);
  }

  info(): EngineInfo {
    return this.engineInfo;
  }

  async audit(input: AuditInput, options: AuditOptions = {}): Promise<AuditResult> {
    if (this.disposed)
      throw new EngineError('load_failed', 'The OpenAI-compatible engine was unloaded; load a model again.');
    throwIfAborted(options.signal, input.caseId);
    const { profile, prompt, decoding } = this.options.verdict;
    const maxNewTokens = options.maxNewTokens ?? decoding.maxNewTokens;
    // A text-only server gets the case as if its image were missing, so the auditor is told and the verdict records it.
    const image = this.engineInfo.hasVision
      ? await prepareCaseImage(input, this.options.maxPixels ?? DEFAULT_MAX_PIXELS)
      : { dataUri: null, visionTokens: 0, imageMissing: input.imageMissing || input.image !== null };
    const caseInput = { ...input, imageMissing: image.imageMissing };
    const messages = mergeAdjacentTextParts(profile.buildMessages(prompt.text, caseInput, image.dataUri));
    const strictFormat = options.strictFormat === true && this.facts.llamaCpp;
    const body: Record<string, unknown> = {
      model: this.options.model,
      messages,
      max_tokens: maxNewTokens,
      stream: true,
      stream_options: { include_usage: true },
      // Sent with every request: the reference decoding, whatever the server or the GGUF defaults to.
      ...(this.facts.llamaCpp ? llamaServerSampling(decoding) : openAiSampling(decoding)),
      logprobs: true,
      top_logprobs: TOP_PROBS,
    };
    if (this.facts.llamaCpp) {
      body.cache_prompt = this.options.cachePrompt ?? true;
      // Keep the model's text verbatim: no <think> extraction by the server's chat parser.
      body.reasoning_format = 'none';
      // Makes the server report the settings it ran with, so nothing (GGUF defaults, server flags) changes them unseen.
      body.verbose = true;
      const grammar = auditGrammar(profile, { ...options, strictFormat });
      if (grammar !== undefined) body.grammar = grammar;
      // A stream stopped at the judgment never gets the final chunk with the counts: every chunk carries them instead.
      if (options.stopAtJudgment) body.timings_per_token = true;
    }
    return this.limit.run(async () => {
      const expectedPromptTokens = this.facts.llamaCpp
        ? await this.assertPromptFits(caseInput, messages, image.visionTokens, maxNewTokens)
        : null;
      const fidelity: ImageFidelity = {
        imageSent: image.dataUri !== null,
        visionTokens: image.visionTokens,
        expectedPromptTokens,
      };
      return this.streamWithRetries(caseInput, body, strictFormat, options, fidelity);
    }, options.signal);
  }

  /**
   * The prompt-length pre-check for llama.cpp servers: the server counts the tokens of the profile's rendering
   * (identical to its own, checked at connect) with /tokenize, plus the image's vision tokens. A case over the
   * prompt budget is refused before anything is generated, as the in-process engines refuse it. Returns the count,
   * which the verdict later compares with the server's own (a server that resized the image counts otherwise).
   */
  private async assertPromptFits(
    input: AuditInput,
    messages: ChatMessage[],
    visionTokens: number,
    maxNewTokens: number,
  ): Promise<number> {
    const { profile, decoding } = this.options.verdict;
    const transport = new Transport(this.options, this.endpoint);
    const count = async (content: string) => {
      const answer = (await transport.postJson(
        '/tokenize',
        { content, add_special: false, parse_special: true },
        undefined,
        {
          root: true,
        },
      )) as { tokens?: unknown[] };
      if (!Array.isArray(answer.tokens))
        throw new EngineError('server_error', `${this.endpoint.host} answered /tokenize without tokens.`, {
          host: this.endpoint.host,
        });
      return answer.tokens.length;
    };
    const rendered = profile.render(messages, MTMD_MEDIA_MARKER).replace(MTMD_MEDIA_MARKER, '');
    const promptTokens = (await count(rendered)) + (visionTokens ? visionTokens + 2 : 0);
    if (fitsContext(promptTokens, decoding, maxNewTokens)) return promptTokens;
    const parts = new Map<string, number>();
    for (const part of [input.query, input.thinking, input.response]) parts.set(part, await count(part));
    assertFitsContext({
      input,
      promptTokens,
      decoding,
      maxNewTokens,
      countTokens: (t) => parts.get(t) ?? 0,
      visionTokens,
    });
    return promptTokens;
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    for (const controller of this.controllers) controller.abort(new EngineError('aborted', 'The engine was unloaded.'));
    await this.options.onDispose?.();
  }

  /**
   * Why an image case's verdict is not the reference input: the server failed (or escaped) the load-time image-token
   * probe, or it counted this case's prompt otherwise than the reference input's length. Text cases are unaffected.
   */
  private notReferenceReason(fidelity: ImageFidelity, reportedPromptTokens: number | undefined): string | null {
    if (!fidelity.imageSent) return null;
    if (this.imageTokenCheck && !this.imageTokenCheck.matchesReference) return this.imageTokenCheck.evidence;
    if (fidelity.expectedPromptTokens === null) return null;
    return imageTokenMismatch({
      expectedPromptTokens: fidelity.expectedPromptTokens,
      reportedPromptTokens,
      visionTokens: fidelity.visionTokens,
    });
  }

  private async streamWithRetries(
    input: AuditInput,
    body: Record<string, unknown>,
    strictFormat: boolean,
    options: AuditOptions,
    fidelity: ImageFidelity,
  ): Promise<AuditResult> {
    const maxRetries = this.options.maxRetries ?? 3;
    const deadlineAt = Date.now() + limitsOf(this.options).caseDeadlineMs;
    for (let attempt = 0; ; attempt++) {
      const delivered = { pieces: 0 };
      try {
        return await this.streamOnce(input, body, strictFormat, options, delivered, deadlineAt, fidelity);
      } catch (error) {
        // Once pieces reached onToken a retry would show them twice; the job queue retries the whole case instead.
        if (!isTransient(error) || delivered.pieces > 0 || attempt >= maxRetries || options.signal?.aborted) {
          if (error instanceof EngineError) error.details.attempts = attempt + 1;
          throw error;
        }
        await backoff(attempt, this.options.retryBaseDelayMs ?? 500, options.signal);
      }
    }
  }

  private async streamOnce(
    input: AuditInput,
    body: Record<string, unknown>,
    strictFormat: boolean,
    options: AuditOptions,
    delivered: { pieces: number },
    deadlineAt: number,
    fidelity: ImageFidelity,
  ): Promise<AuditResult> {
    const transport = new Transport(this.options, this.endpoint);
    const limits = limitsOf(this.options);
    const controller = new AbortController();
    this.controllers.add(controller);
    const onCallerAbort = () =>
      controller.abort(
        new EngineError('aborted', `The audit of case ${input.caseId} was cancelled.`, { caseId: input.caseId }),
      );
    options.signal?.addEventListener('abort', onCallerAbort, { once: true });
    const firstTokenTimeoutMs = this.options.firstTokenTimeoutMs ?? 15 * 60_000;
    const idleTimeoutMs = this.options.idleTimeoutMs ?? 120_000;
    let timer = setTimeout(
      () => controller.abort(timeoutError(this.endpoint.host, firstTokenTimeoutMs, 'first')),
      firstTokenTimeoutMs,
    );
    const rearm = () => {
      clearTimeout(timer);
      timer = setTimeout(
        () => controller.abort(timeoutError(this.endpoint.host, idleTimeoutMs, 'next')),
        idleTimeoutMs,
      );
    };
    const deadline = setTimeout(
      () =>
        controller.abort(
          new EngineError(
            'server_error',
            `${this.endpoint.host} did not finish case ${input.caseId} within ${Math.round(limits.caseDeadlineMs / 60_000)} minutes; the request was stopped.`,
            { host: this.endpoint.host, caseId: input.caseId },
          ),
        ),
      Math.max(0, deadlineAt - Date.now()),
    );
    const started = performance.now();
    let firstPieceAt: number | null = null;
    let raw = '';
    let rawBytes = 0;
    let last: StreamChunk = {};
    let finishReason: string | null = null;
    let reported: Record<string, unknown> | null = null;
    const steps: TokenStep[] = [];
    const judgment = new JudgmentWatch(this.options.verdict.profile, options);
    try {
      const response = await transport.post('/chat/completions', body, controller.signal, 'stream');
      if (!response.body)
        throw new EngineError('server_error', `${this.endpoint.host} answered without a body.`, {
          host: this.endpoint.host,
          transient: true,
        });
      let sawDone = false;
      const sse = readSseData(response.body, {
        maxLineBytes: limits.maxSseLineBytes,
        maxTotalBytes: limits.maxStreamBytes,
        onLimit: (what) => limitError(this.endpoint.host, what),
      });
      for await (const data of sse) {
        rearm();
        if (data.trim() === '[DONE]') {
          sawDone = true;
          break;
        }
        const chunk = parseChunk(data, this.endpoint.host);
        if (chunk.error !== undefined) {
          throw httpError(
            errorStatus(chunk.error),
            JSON.stringify({ error: chunk.error }),
            this.endpoint.host,
            this.options.model,
          );
        }
        reported = chunk.__verbose?.generation_settings ?? reported;
        const choice = chunk.choices?.[0];
        if (choice?.finish_reason) finishReason = choice.finish_reason;
        for (const entry of choice?.logprobs?.content ?? []) {
          steps.push({
            text: entry.token ?? '',
            top: (entry.top_logprobs ?? []).map((c) => ({
              text: c.token ?? '',
              prob: Math.exp(c.logprob ?? -Infinity),
            })),
          });
        }
        const piece = choice?.delta?.content;
        if (piece) {
          firstPieceAt ??= performance.now();
          rawBytes += Buffer.byteLength(piece);
          if (rawBytes > limits.maxOutputBytes)
            throw limitError(this.endpoint.host, `generated more than ${limits.maxOutputBytes} bytes for one case`);
          raw += piece;
          delivered.pieces++;
          options.onToken?.(piece);
        }
        if (chunk.usage || chunk.timings)
          last = {
            ...last,
            ...(chunk.usage ? { usage: chunk.usage } : {}),
            ...(chunk.timings ? { timings: chunk.timings } : {}),
          };
        if (piece && judgment.push(piece)) break;
      }
      // Stopped at the judgment: closing the connection is what makes llama-server stop generating. Such a stream
      // never gets the final chunk, whose generation_settings the check below reads; verdicts still get checked.
      if (judgment.stopped) controller.abort();
      else if (!sawDone) {
        throw new EngineError(
          'server_error',
          `The stream from ${this.endpoint.host} ended before it was complete (no [DONE]): the server stopped. The case can be retried.`,
          {
            host: this.endpoint.host,
            transient: true,
          },
        );
      }
    } catch (error) {
      if (controller.signal.aborted && controller.signal.reason instanceof EngineError) throw controller.signal.reason;
      controller.abort(); // a limit or a bad piece: close the connection, do not leave the server streaming
      throw networkError(error, this.endpoint.host, 'stream');
    } finally {
      clearTimeout(timer);
      clearTimeout(deadline);
      options.signal?.removeEventListener('abort', onCallerAbort);
      this.controllers.delete(controller);
    }
    if (this.facts.llamaCpp && reported) {
      this.lastReportedSampling = reported;
      assertReferenceSampling(reported, llamaServerSampling(this.options.verdict.decoding), this.endpoint.host);
    }
    const totalMs = performance.now() - started;
    const usage = last.usage ?? {};
    const timings = last.timings ?? {};
    const promptMs = timings.prompt_ms ?? (firstPieceAt !== null ? firstPieceAt - started : totalMs);
    const generateMs = timings.predicted_ms ?? Math.max(0, totalMs - promptMs);
    const { profile } = this.options.verdict;
    const reportedPromptTokens =
      usage.prompt_tokens ?? (timings.prompt_n !== undefined ? timings.prompt_n + (timings.cache_n ?? 0) : undefined);
    return buildAuditResult({
      engine: 'openai',
      modelId: this.engineInfo.modelId,
      context: this.options.verdict,
      options: { ...options, strictFormat },
      rawOutput: raw,
      stoppedOnLength: finishReason === 'length',
      judgmentStop: judgment.outcome(typeof body.grammar === 'string' ? body.grammar : undefined),
      notReferenceReason: this.notReferenceReason(fidelity, reportedPromptTokens),
      confidence:
        steps.length > 0
          ? levelProbabilities(profile, steps)
          : { levelProbs: null, note: `${this.endpoint.host} returned no logprobs` },
      imageMissing: input.imageMissing,
      promptTokens: reportedPromptTokens ?? 0,
      cachedPromptTokens: usage.prompt_tokens_details?.cached_tokens ?? timings.cache_n ?? 0,
      // A stream stopped at the judgment from a server without per-chunk timings: one logprobs entry per token.
      generatedTokens: usage.completion_tokens ?? timings.predicted_n ?? Math.max(steps.length, delivered.pieces),
      promptMs,
      generateMs,
      totalMs,
    });
  }
}

/** One HTTP exchange with the server: headers, key, connect timeout, error classification. */
class Transport {
  constructor(
    private readonly options: OpenAiEngineOptions,
    private readonly endpoint: CheckedEndpoint,
  ) {}

  private async current(): Promise<Endpoint> {
    if (this.options.resolveEndpoint) return this.options.resolveEndpoint();
    return { baseUrl: this.endpoint.baseUrl, apiKey: (await this.options.getApiKey?.()) ?? null };
  }

  async post(path: string, body: unknown, signal: AbortSignal, phase: 'connect' | 'stream'): Promise<Response> {
    return this.send('POST', path, body, signal, phase);
  }

  /** root: the path is under the server's root (llama-server's /tokenize, /apply-template), not under /v1. */
  async postJson(path: string, body: unknown, signal?: AbortSignal, where: { root?: boolean } = {}): Promise<unknown> {
    const timeout = AbortSignal.timeout(this.options.connectTimeoutMs ?? 30_000);
    const response = await this.send(
      'POST',
      path,
      body,
      signal ? AbortSignal.any([signal, timeout]) : timeout,
      'connect',
      where.root === true,
    );
    return readJsonCapped(response, limitsOf(this.options).maxJsonBodyBytes, this.endpoint.host);
  }

  async getJson(path: string): Promise<unknown> {
    const response = await this.send(
      'GET',
      path,
      undefined,
      AbortSignal.timeout(this.options.connectTimeoutMs ?? 30_000),
      'connect',
    );
    return readJsonCapped(response, limitsOf(this.options).maxJsonBodyBytes, this.endpoint.host);
  }

  private async send(
    method: 'GET' | 'POST',
    path: string,
    body: unknown,
    signal: AbortSignal,
    phase: 'connect' | 'stream',
    root = false,
  ): Promise<Response> {
    const current = await this.current();
    const apiKey = current.apiKey;
    const baseUrl = root ? current.baseUrl.replace(/\/v1\/?$/, '') : current.baseUrl;
    const headers: Record<string, string> = {
      accept: method === 'POST' && phase === 'stream' ? 'text/event-stream' : 'application/json',
    };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (apiKey) headers.authorization = `Bearer ${apiKey}`;
    let response: Response;
    try {
      response = await fetchFor(current)(`${baseUrl}${path}`, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal,
        redirect: 'manual',
      });
    } catch (error) {
      if (signal.aborted && signal.reason instanceof EngineError) throw signal.reason;
      if (signal.aborted && (signal.reason as Error | undefined)?.name === 'TimeoutError') {
        throw new EngineError(
          'unreachable',
          `${this.endpoint.host} did not answer within ${Math.round((this.options.connectTimeoutMs ?? 30_000) / 1000)} s.`,
          {
            host: this.endpoint.host,
            transient: true,
          },
        );
      }
      throw networkError(error, this.endpoint.host, 'connect');
    }
    refuseRedirect(response, this.endpoint.host);
    if (!response.ok) {
      const limit = limitsOf(this.options).maxErrorBodyBytes;
      const text = await readBodyCapped(response, limit, 'truncate', this.endpoint.host).catch(() => '');
      throw httpError(response.status, text, this.endpoint.host, this.options.model);
    }
    return response;
  }

  /** Reads /v1/models: checks the key and the model name, and learns the context size and the server kind. */
  async serverFacts(model: string): Promise<ServerFacts> {
    const listing = (await this.withConnectRetries(() => this.getJson('/models'))) as {
      data?: Array<{ id?: string; owned_by?: string; max_model_len?: number; meta?: { n_ctx_train?: number } }>;
    };
    const models = listing.data ?? [];
    const listedModels = models.map((m) => m.id ?? '').filter(Boolean);
    const llamaCpp = models.some((m) => m.owned_by === 'llamacpp');
    const match = models.find((m) => m.id === model);
    // llama-server serves exactly one model and answers to any name; vLLM checks --served-model-name.
    if (!match && !llamaCpp) {
      throw new EngineError(
        'model_not_found',
        `${this.endpoint.host} does not serve a model named "${model}". It serves: ${listedModels.join(', ') || '(none)'}. Set the model name in Settings → Engine to one of these.`,
        { host: this.endpoint.host, listedModels },
      );
    }
    let contextLength: number | null = match?.max_model_len ?? null;
    if (llamaCpp) {
      try {
        const endpoint = await this.current();
        const base = endpoint.baseUrl.replace(/\/v1$/, '');
        const response = await fetchFor(endpoint)(`${base}/props`, {
          signal: AbortSignal.timeout(this.options.connectTimeoutMs ?? 30_000),
          headers: await this.authHeader(),
          redirect: 'manual',
        });
        refuseRedirect(response, this.endpoint.host);
        const props = (await readJsonCapped(response, limitsOf(this.options).maxJsonBodyBytes, this.endpoint.host)) as {
          default_generation_settings?: { n_ctx?: number };
        };
        contextLength = props.default_generation_settings?.n_ctx ?? null;
      } catch {
        contextLength = null; // /props is informational only
      }
    }
    return { llamaCpp, contextLength, listedModels };
  }

  private async authHeader(): Promise<Record<string, string>> {
    const { apiKey } = await this.current();
    return apiKey ? { authorization: `Bearer ${apiKey}` } : {};
  }

  /** A server that is still loading answers 503; wait for it, within the retry budget. */
  private async withConnectRetries<T>(call: () => Promise<T>): Promise<T> {
    const maxRetries = this.options.maxRetries ?? 3;
    for (let attempt = 0; ; attempt++) {
      try {
        return await call();
      } catch (error) {
        const status = error instanceof EngineError ? error.details.status : undefined;
        const busy = status === 429 || status === 502 || status === 503 || status === 504;
        if (!busy || attempt >= maxRetries) throw error;
        await backoff(attempt, this.options.retryBaseDelayMs ?? 500);
      }
    }
  }
}

/**
 * The Qwen2.5-VL template concatenates a message's text parts with nothing in between, but llama-server joins them
 * with "\n" (it adds no newline next to an image). Sending adjacent text parts as one part gives both servers the
 * reference input, e.g. "Image missing or unavailableCurrent Task Query: …".
 */
export function mergeAdjacentTextParts(messages: ChatMessage[]): ChatMessage[] {
  return messages.map((message) => {
    if (typeof message.content === 'string') return message;
    const parts: typeof message.content = [];
    for (const part of message.content) {
      const previous = parts[parts.length - 1];
      if (part.type === 'text' && previous?.type === 'text')
        parts[parts.length - 1] = { type: 'text', text: previous.text + part.text };
      else parts.push(part);
    }
    return { ...message, content: parts };
  });
}

function limitsOf(options: OpenAiEngineOptions): ResponseLimits {
  return { ...DEFAULT_RESPONSE_LIMITS, ...options.limits };
}

function parseChunk(data: string, host: string): StreamChunk {
  try {
    return JSON.parse(data) as StreamChunk;
  } catch {
    throw new EngineError('server_error', `${host} sent a stream piece that is not JSON: ${data.slice(0, 200)}`, {
      host,
    });
  }
}

function errorStatus(error: unknown): number {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'number' && code >= 400 ? code : 500;
}

function timeoutError(host: string, ms: number, which: 'first' | 'next'): EngineError {
  return new EngineError(
    'server_error',
    `${host} sent no ${which === 'first' ? 'output' : 'further output'} for ${Math.round(ms / 1000)} s; the request was stopped. The server may be overloaded; the case can be retried.`,
    { host, transient: true, timeoutMs: ms },
  );
}

/** A llama.cpp server that ran a case with other sampling settings than those sent made no reference verdict. */
function assertReferenceSampling(reported: Record<string, unknown>, sent: Record<string, number>, host: string): void {
  const differing = Object.entries(sent)
    .filter(([key]) => key !== 'seed' && key in reported)
    .filter(([key, value]) => typeof reported[key] !== 'number' || Math.abs((reported[key] as number) - value) > 1e-6)
    .map(([key, value]) => `${key} ${String(reported[key])} instead of ${value}`);
  if (differing.length) {
    throw new EngineError(
      'load_failed',
      `${host} ran the case with other sampling settings than the reference decoding sent with it (${differing.join(', ')}). ` +
        'Check the server flags; the case was not recorded.',
      { host, differing },
    );
  }
}

/**
 * The template check: a llama.cpp server renders the chat template stored in the GGUF, which may differ from the
 * template the profile's model was evaluated with. Two probe cases (with an image, and with a missing one) are
 * rendered by the server (POST /apply-template) and compared byte for byte with the profile's rendering. A mismatch
 * refuses the server rather than pinning a template: the app's rendering is what the golden tests hold to the
 * reference, and a GGUF whose template differs is a wrong or badly converted model the moderator must hear about.
 */
async function checkServerTemplate(
  transport: Transport,
  options: OpenAiEngineOptions,
  withImage: boolean,
): Promise<void> {
  const { profile, prompt } = options.verdict;
  const probeImage = `data:image/png;base64,${Buffer.from(solidColourPng(56, 56, [1, 2, 3])).toString('base64')}`;
  const probe = {
    caseId: 'template-probe',
    query: 'Template probe query',
    thinking: 'Template probe thinking.\nSecond line.',
    response: 'Template probe response.',
    image: null,
  };
  const inputs = [
    ...(withImage ? [[{ ...probe, imageMissing: false }, probeImage] as const] : []),
    [{ ...probe, imageMissing: true }, null] as const,
  ];
  for (const [input, image] of inputs) {
    const messages = mergeAdjacentTextParts(profile.buildMessages(prompt.text, input, image));
    let rendered: string;
    try {
      const answer = (await transport.postJson('/apply-template', { messages }, undefined, { root: true })) as {
        prompt?: unknown;
      };
      if (typeof answer.prompt !== 'string') throw new Error('the answer has no "prompt" string');
      rendered = answer.prompt;
    } catch (error) {
      if (error instanceof EngineError && error.code !== 'generation_failed') throw error;
      throw new EngineError(
        'load_failed',
        `The llama.cpp server could not render the chat template for the template check (${(error as Error).message}). ` +
          'Use a llama-server that has POST /apply-template (any build since 2025).',
      );
    }
    // llama-server randomises its media marker per process (<__media_XXXX__>); libmtmd replaces it all the same.
    const normalised = rendered.replace(/<__media_[A-Za-z0-9]*__>/g, MTMD_MEDIA_MARKER);
    const expected = profile.render(messages, MTMD_MEDIA_MARKER);
    if (normalised !== expected) {
      let at = 0;
      while (at < expected.length && expected[at] === normalised[at]) at++;
      throw new EngineError(
        'load_failed',
        `The server's chat template renders the ${profile.displayName} input differently from the reference ` +
          `(first difference at character ${at}: expected ${JSON.stringify(expected.slice(at, at + 40))}, the server wrote ` +
          `${JSON.stringify(normalised.slice(at, at + 40))}). Verdicts would not match the published evaluation. ` +
          "Convert the model again with a current convert_hf_to_gguf.py, or start llama-server with the model's own template (--chat-template-file).",
        { firstDifference: at },
      );
    }
  }
}

async function backoff(attempt: number, baseMs: number, signal?: AbortSignal): Promise<void> {
  const delay = Math.min(30_000, baseMs * 2 ** attempt) * (0.75 + Math.random() * 0.5);
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, delay);
    const onAbort = () => {
      clearTimeout(timer);
      reject(new EngineError('aborted', 'The audit was cancelled while waiting to retry.'));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
