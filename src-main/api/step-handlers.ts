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

  const caseSteps = (caseId: string): CaseSteps => {
    const content = store.cases.content(caseId);
    const steps = segmentTrace(content.thinking);
    const latest = store.audits.latest(caseId);
    return {
      caseId,
      steps,
      search: store.stepSearches.latestForCase(caseId),
      hints: spanHints(content.thinking, steps, latest?.analysis ?? null),
      label: store.stepSearches.label(caseId),
      maxProbes: maxProbes(steps.length),
    };
  };

  const mark = (input: StepMarkInput): CaseSteps => {
    const trace = store.cases.content(input.caseId).thinking;
    const steps = segmentTrace(trace);
    const before = store.stepSearches.label(input.caseId);
    let step = null;
    if (input.action === 'confirm') {
      step = steps.find((s) => s.start === input.stepOffset);
      if (!step)
        throw new ApiError(
          'invalid',
          `Case ${input.caseId}: no step starts at offset ${String(input.stepOffset)} of its trace (it has ${steps.length} steps). Reload the case and mark a step it shows.`,
        );
    }
    store.transaction(() => {
      const markId = store.stepSearches.addMark({
        caseId: input.caseId,
        kind: step ? 'step' : 'none',
        stepIndex: step?.index ?? null,
        stepOffset: step?.start ?? null,
        traceSha256: traceSha256(trace),
        reviewer: input.reviewer,
      });
      store.activityLog.append({
        actor: input.reviewer,
        action: step ? 'steps.confirm' : 'steps.clear',
        caseId: input.caseId,
        before,
        after: { markId, stepIndex: step?.index ?? null, stepOffset: step?.start ?? null, of: steps.length },
      });
    });
    events.emit('cases.changed', { caseIds: [input.caseId] });
    return caseSteps(input.caseId);
  };

  return {
    'steps.get': async ({ caseId }) => caseSteps(caseId),
    'steps.locate': async ({ caseId }) => {
      const settings = core.settings();
      await locator.locate(caseId, { strictFormat: settings.strictFormat });
      return caseSteps(caseId);
    },
    'steps.queueFlagged': async ({ limit }) => ({ queued: locator.queueFlagged(limit) }),
    'steps.runQueued': async () => locator.runQueued({ strictFormat: core.settings().strictFormat }),
    'steps.cancel': async () => ({ cancelled: locator.cancel() }),
    'steps.mark': async (input) => mark(input),
    'steps.undoMark': async ({ caseId, reviewer }) => {
      const before = store.stepSearches.label(caseId);
      const undone = store.transaction(() => {
        const result = store.stepSearches.undoLastMark(caseId, reviewer);
        if (result)
          store.activityLog.append({
            actor: reviewer,
            action: 'steps.undo',
            caseId,
            before,
            after: { undoneMarkId: result.undoneId, label: store.stepSearches.label(caseId) },
          });
        return result;
      });
      if (undone) events.emit('cases.changed', { caseIds: [caseId] });
      return caseSteps(caseId);
    },
  };
}
