import type { Migration } from './migration';

// How each step-localization probe ended (docs/step-localization.md, "Stopping at the judgment"): a probe reads only
// the judgment, so the engine asks for it first where the profile allows, or stops once it is written. NULL for the
// probes stored before this was recorded. ADD COLUMN only.
export const probeJudgmentStop: Migration = {
  version: 15,
  name: 'probe-judgment-stop',
  up: `
    ALTER TABLE step_probes ADD COLUMN judgment_stop TEXT
      CHECK (judgment_stop IN ('judgment_first', 'after_judgment', 'ran_to_end'));
  `,
};
