// The moderator's exposure counter (docs/quality.md, "Care for moderators"): each change is pushed to the window
// ('exposure.changed'), so the status bar and the hard limit's re-blurring follow at once.
import type { ExposureStatus } from '@domain/exposure';
import type { Core } from './core';

export function exposureTracker(core: Core) {
  const { events } = core;
  // Exposure is the moderator's own record: it stays on this computer, also when the cases are on a team database.
  const exposure = async () => (await core.personal()).exposure;
  const moderator = async () => (await core.settings()).reviewer;
  const limits = async () => (await core.settings()).exposureLimits;
  const status = async (who?: string): Promise<ExposureStatus> =>
    (await exposure()).status(who ?? (await moderator()), await limits());
  const changed = async (who?: string): Promise<ExposureStatus> => {
    const current = await moderator();
    const now = await status(who ?? current);
    if ((who ?? current) === current) events.emit('exposure.changed', now);
    return now;
  };
  return {
    status: () => status(),
    imageRevealed: async (caseId: string) => {
      await (await exposure()).record(await moderator(), 'image_revealed', caseId);
      return changed();
    },
    /** Counted for whoever decided (the CLI's --reviewer too); pushed to the window when it is its moderator. */
    judgedHarmful: async (reviewer: string, caseId: string) => {
      await (await exposure()).record(reviewer, 'harmful_judged', caseId);
      await changed(reviewer);
    },
    startBreak: async () => {
      await (await exposure()).startBreak(await moderator());
      return changed();
    },
    endBreak: async () => {
      await (await exposure()).endBreak(await moderator(), await limits());
      return changed();
    },
  };
}
