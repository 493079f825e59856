// The step-localization channels (docs/step-localization.md), spread into the one handler map by handlers.ts.
import { maxProbes, type CaseSteps, type StepMarkInput } from '@domain/step-localization';
import { spanHints } from '@domain/span-hints';
import { segmentTrace } from '@domain/trace-steps';
import type { ApiHandlers } from './contract';
import type { Core } from './core';
import { ApiError } from './errors';
import { traceSha256 } from '../jobs/step-locator';

type StepChannels =
  | 'steps.get'
  | 'steps.locate'
  | 'steps.queueFlagged'
  | 'steps.runQueued'
  | 'steps.cancel'
  | 'steps.mark'
  | 'steps.undoMark';

export function createStepHandlers(core: Core): Pick<ApiHandlers, StepChannels> {
  const { store, steps: locator, events } = core;

  const caseSteps = async (caseId: string): Promise<CaseSteps> => {
    const content = await store.cases.content(caseId);
    const steps = segmentTrace(content.thinking);
    const latest = await store.verdicts.latest(caseId);
    return {
      caseId,
      steps,
      search: await store.steps.latestForCase(caseId),
      hints: spanHints(content.thinking, steps, latest?.analysis ?? null),
      label: await store.steps.label(caseId),
      maxProbes: maxProbes(steps.length),
    };
  };

  const mark = async (input: StepMarkInput): Promise<CaseSteps> => {
    const trace = (await store.cases.content(input.caseId)).thinking;
    const steps = segmentTrace(trace);
    let step = null;
    if (input.action === 'confirm') {
      step = steps.find((s) => s.start === input.stepOffset);
      if (!step)
        throw new ApiError(
          'invalid',
          `Case ${input.caseId}: no step starts at offset ${String(input.stepOffset)} of its trace (it has ${steps.length} steps). Reload the case and mark a step it shows.`,
        );
    }
    await store.steps.mark({
      caseId: input.caseId,
      kind: step ? 'step' : 'none',
      stepIndex: step?.index ?? null,
      stepOffset: step?.start ?? null,
      traceSha256: traceSha256(trace),
      stepCount: steps.length,
      reviewer: input.reviewer,
    });
    events.emit('cases.changed', { caseIds: [input.caseId] });
    return caseSteps(input.caseId);
  };

  return {
    'steps.get': async ({ caseId }) => caseSteps(caseId),
    'steps.locate': async ({ caseId }) => {
      const settings = await core.settings();
      await locator.locate(caseId, { strictFormat: settings.strictFormat });
      return caseSteps(caseId);
    },
    'steps.queueFlagged': async ({ limit }) => ({ queued: await locator.queueFlagged(limit) }),
    'steps.runQueued': async () => locator.runQueued({ strictFormat: (await core.settings()).strictFormat }),
    'steps.cancel': async () => ({ cancelled: await locator.cancel() }),
    'steps.mark': async (input) => mark(input),
    'steps.undoMark': async ({ caseId, reviewer }) => {
      const undone = await store.steps.undoLastMark(caseId, reviewer);
      if (undone) events.emit('cases.changed', { caseIds: [caseId] });
      return caseSteps(caseId);
    },
  };
}
