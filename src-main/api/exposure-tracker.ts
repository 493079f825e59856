// The moderator's exposure counter (docs/quality.md, "Care for moderators"): each change is pushed to the window
// ('exposure.changed'), so the status bar and the hard limit's re-blurring follow at once.
import type { ExposureStatus } from '@domain/exposure';
import type { Core } from './core';

export function exposureTracker(core: Core) {
  const { store, events } = core;
  const moderator = () => core.settings().reviewer;
  const status = (who = moderator()): ExposureStatus => store.exposure.status(who, core.settings().exposureLimits);
  const changed = (who = moderator()): ExposureStatus => {
    const now = status(who);
    if (who === moderator()) events.emit('exposure.changed', now);
    return now;
  };
  return {
    status: () => status(),
    imageRevealed: (caseId: string) => {
      store.exposure.record(moderator(), 'image_revealed', caseId);
      return changed();
    },
    /** Counted for whoever decided (the CLI's --reviewer too); pushed to the window when it is its moderator. */
    judgedHarmful: (reviewer: string, caseId: string) => {
      store.exposure.record(reviewer, 'harmful_judged', caseId);
      changed(reviewer);
    },
    startBreak: () => {
      store.exposure.startBreak(moderator());
      return changed();
    },
    endBreak: () => {
      store.exposure.endBreak(moderator(), core.settings().exposureLimits);
      return changed();
    },
  };
}
