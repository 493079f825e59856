import { ENGINE_SELECTIONS, type EngineSelection } from '@domain/engine';
import type { CaseSteps } from '@domain/step-localization';
import { stepText } from '@domain/trace-steps';
import {
  EXIT_OK,
  EXIT_PARTIAL,
  UsageError,
  modelOptions,
  oneLine,
  oneOf,
  positiveInt,
  signalExitCode,
  stringOption,
  type Command,
  type RunContext,
} from './main';

// `guardtrace locate`: the prefix search for the first flagged step (docs/step-localization.md), through the same
// handler map as the app. Only functions are taken from ./main (which imports this file), so the cycle is safe.

export const LOCATE_COMMAND: Record<string, Command> = {
  locate: {
    summary: "find the first step of a case's trace the model flags (prefix search; never changes the verdict)",
    usage:
      'guardtrace locate CASE_ID [--model DIR | --engine E …] | guardtrace locate --flagged [--limit N] [--model DIR | --engine E …]',
    details: `  CASE_ID          runs (or resumes) the search for this case and prints the located step
  --flagged        queues a search for every case the loaded model judged 0.5 or 1 that has none, and runs them
  --limit N        with --flagged: at most N cases
  --model DIR      model folder (default: the one chosen in Settings); with --engine openai: the served model name
  --engine E       auto | llama.node | node-llama-cpp | sidecar | openai
  --base-url URL   with --engine openai: the server (API key from $GUARDTRACE_API_KEY)
  --prompt-dir DIR with --engine openai: the folder holding the system prompt
  --strict         constrain each probe's output to the verdict format
  --max-tokens N   generation limit per probe (default: the profile's)
  --threads N      CPU threads for the local engines
A search over N steps runs at most ceil(log2 N) + 1 probes: the case audited with the trace cut after a step and
the response replaced by "No response provided". Probes are stored as they finish: Ctrl+C, SIGTERM or a kill
loses at most the probe in flight, and the same command resumes. Exit 1 when a search failed.`,
    options: {
      flagged: { type: 'boolean' },
      limit: { type: 'string' },
      model: { type: 'string' },
      engine: { type: 'string' },
      'base-url': { type: 'string' },
      'prompt-dir': { type: 'string' },
      strict: { type: 'boolean' },
      'max-tokens': { type: 'string' },
      threads: { type: 'string' },
    },
    run: runLocate,
  },
};

async function runLocate(context: RunContext): Promise<number> {
  const { values, io } = context;
  const flagged = values.flagged === true;
  if (flagged && context.positionals.length) throw new UsageError('give either CASE_ID or --flagged, not both');
  if (!flagged && context.positionals.length !== 1)
    throw new UsageError(context.positionals.length ? 'expected one CASE_ID' : 'missing CASE_ID (or --flagged)');
  const limit = positiveInt(stringOption(values, 'limit'), 'limit');
  if (limit !== undefined && !flagged) throw new UsageError('--limit only applies with --flagged');
  const engine = oneOf<EngineSelection>(stringOption(values, 'engine'), ENGINE_SELECTIONS, 'engine');
  const maxNewTokens = positiveInt(stringOption(values, 'max-tokens'), 'max-tokens');
  const remote = engine === 'openai';
  const { baseUrl, modelName, modelDir } = modelOptions(values, engine);

  return context.withCore(async (handlers, core) => {
    let interrupted: NodeJS.Signals | null = null;
    const onSignal = (signal: NodeJS.Signals) => {
      if (interrupted) process.exit(signalExitCode(signal));
      interrupted = signal;
      io.stderr(`\n${signal}: stopping the probe in flight; its search stays queued with the probes it has.\n`);
      void core.steps.shutdown();
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    try {
      const state = await handlers['engine.load']({
        modelDir,
        engine,
        openai: remote ? { baseUrl: baseUrl!, model: modelName!, apiKeyEnv: 'GUARDTRACE_API_KEY' } : undefined,
      });
      if (state.state === 'error') throw Object.assign(new Error(state.message), { code: 'config' });
      const strictFormat = values.strict === true ? true : (await core.settings()).strictFormat;
      const onProbe = context.json
        ? undefined
        : (search: { probes: Array<{ cut: number; risk: number | null }>; stepCount: number }) => {
            const probe = search.probes.at(-1);
            if (probe) io.stderr(`  probe: trace through step ${probe.cut} of ${search.stepCount} → ${probe.risk}\n`);
          };
      if (flagged) {
        const { queued } = await handlers['steps.queueFlagged']({ limit });
        if (!context.json) io.stderr(`Queued ${queued} search(es).\n`);
        const result = await core.steps.runQueued({ strictFormat, maxNewTokens, onProbe });
        if (interrupted) {
          io.stdout(`Interrupted (${interrupted}) after ${result.finished} search(es); re-run to resume.\n`);
          return signalExitCode(interrupted);
        }
        if (context.json) io.stdout(`${JSON.stringify({ queued, ...result })}\n`);
        else io.stdout(`Searched ${result.finished} case(s), ${result.failed} failed.\n`);
        return result.failed ? EXIT_PARTIAL : EXIT_OK;
      }
      const caseId = context.positionals[0];
      await core.steps.locate(caseId, { strictFormat, maxNewTokens, onProbe });
      const steps = await handlers['steps.get']({ caseId });
      if (interrupted) {
        io.stdout(`Interrupted (${interrupted}); re-run the same command to resume the search.\n`);
        return signalExitCode(interrupted);
      }
      if (context.json) io.stdout(`${JSON.stringify(steps)}\n`);
      else io.stdout(`${describeSearch(steps, (await core.store.cases.content(caseId)).thinking)}\n`);
      return steps.search?.status === 'failed' ? EXIT_PARTIAL : EXIT_OK;
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
  });
}

function describeSearch(view: CaseSteps, trace: string): string {
  const search = view.search;
  if (!search) return `Case ${view.caseId}: no search.`;
  const probes = search.probes.map((p) => `${p.cut}→${p.risk}`).join(', ');
  const cost = `${search.probes.length} probe(s) of at most ${view.maxProbes}: ${probes || 'none'}`;
  switch (search.status) {
    case 'located': {
      const step = view.steps[search.locatedStep! - 1];
      const preview = oneLine(stepText(trace, step)).slice(0, 160);
      return `Case ${view.caseId}: first flagged at step ${search.locatedStep} of ${search.stepCount} (offset ${search.locatedOffset}): "${preview}". ${cost}.`;
    }
    case 'not_monotone':
      return `Case ${view.caseId}: not monotone — a shorter prefix was flagged and a longer one not, so no single step is claimed. ${cost}.`;
    case 'not_flagged':
      return `Case ${view.caseId}: no prefix of the trace is flagged without the response; the harm is not in the trace alone. ${cost}.`;
    case 'no_steps':
      return `Case ${view.caseId}: the trace is empty; nothing to locate.`;
    case 'failed':
      return `Case ${view.caseId}: the search failed: ${oneLine(search.lastError ?? 'unknown error')}. ${cost}.`;
    default:
      return `Case ${view.caseId}: search ${search.status}. ${cost}.`;
  }
}
