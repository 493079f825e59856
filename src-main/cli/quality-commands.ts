import type { ExposureLimits } from '@domain/exposure';
import type { GoldCase, GoldSource } from '@domain/gold';
import {
  EXIT_OK,
  EXIT_PARTIAL,
  UsageError,
  categoryOption,
  oneOf,
  riskOption,
  stringOption,
  type Command,
  type RunContext,
} from './main';

// Quality and the first run on the command line (docs/quality.md): the sample workspace, gold cases and the lead's
// limits. Same handler map as the app. Only functions are taken from ./main (which imports this file), so the
// import cycle is safe.

async function runDemo(context: RunContext): Promise<number> {
  if (context.positionals.length) throw new UsageError(`unexpected argument "${context.positionals[0]}"`);
  return context.withCore(async (handlers) => {
    const summary = await handlers['demo.create']();
    if (context.json) context.io.stdout(`${JSON.stringify(summary)}\n`);
    else
      context.io.stdout(
        summary.imported === 0
          ? `The sample workspace is already here (${summary.cases} cases); nothing added.\n`
          : `Added the sample workspace: ${summary.imported} synthetic case(s), ${summary.images} with a picture, ` +
              `${summary.demoVerdicts} demo verdict(s) written by hand (not a model). Open the app on this folder, or try ` +
              '`guardtrace stats` and `guardtrace export --format jsonl --out sample.jsonl`.\n',
      );
    return EXIT_OK;
  });
}

/** `--from label|adjudication` names where the gold answer comes from instead of `--risk`. */
const GOLD_FROM: Record<string, GoldSource> = { label: 'imported_label', adjudication: 'adjudication' };

const goldLine = (gold: GoldCase) =>
  `${gold.caseId}\trisk ${gold.risk}\t${gold.category ?? '-'}\t${gold.source}\tset by ${gold.setBy} at ${gold.setAt}` +
  (gold.explanation ? `\t${gold.explanation.replace(/\s+/g, ' ')}` : '');

async function runGold(context: RunContext): Promise<number> {
  const [action, ...rest] = context.positionals;
  const { values, io } = context;
  const caseIdOf = () => {
    if (rest.length !== 1) throw new UsageError(`gold ${action} takes one CASE_ID (got ${rest.length})`);
    return rest[0];
  };
  switch (action) {
    case 'set': {
      const caseId = caseIdOf();
      const from = oneOf(stringOption(values, 'from'), Object.keys(GOLD_FROM), 'from');
      const risk = from && values.risk === undefined ? undefined : riskOption(values);
      return context.withCore(async (handlers) => {
        const gold = await handlers['gold.set']({
          caseId,
          risk,
          category: categoryOption(values) ?? undefined,
          explanation: stringOption(values, 'note') ?? null,
          source: from ? GOLD_FROM[from] : 'manual',
        });
        io.stdout(context.json ? `${JSON.stringify(gold)}\n` : `Gold set: ${goldLine(gold)}\n`);
        return EXIT_OK;
      });
    }
    case 'unset': {
      const caseId = caseIdOf();
      return context.withCore(async (handlers) => {
        const { removed } = await handlers['gold.unset']({ caseId });
        if (context.json) io.stdout(`${JSON.stringify({ caseId, removed })}\n`);
        else if (removed) io.stdout(`Gold removed from case ${caseId}.\n`);
        else io.stderr(`Case ${caseId} was not gold; nothing changed.\n`);
        return removed ? EXIT_OK : EXIT_PARTIAL;
      });
    }
    case 'list': {
      if (rest.length) throw new UsageError(`gold list takes no argument (got "${rest[0]}")`);
      return context.withCore(async (handlers) => {
        const list = await handlers['gold.list']();
        if (context.json) io.stdout(`${JSON.stringify(list)}\n`);
        else io.stdout(list.length ? list.map(goldLine).join('\n') + '\n' : 'No gold cases.\n');
        return EXIT_OK;
      });
    }
    default:
      throw new UsageError(
        action ? `unknown gold action "${action}" (set, unset or list)` : 'missing action: set, unset or list',
      );
  }
}

const LIMIT_OPTIONS: Array<[string, keyof ExposureLimits]> = [
  ['soft-images', 'softImages'],
  ['hard-images', 'hardImages'],
  ['soft-harmful', 'softHarmful'],
  ['hard-harmful', 'hardHarmful'],
  ['break-minutes', 'breakMinutes'],
  ['soft-minutes', 'softMinutes'],
];

async function runLimits(context: RunContext): Promise<number> {
  if (context.positionals.length) throw new UsageError(`unexpected argument "${context.positionals[0]}"`);
  const { values, io } = context;
  return context.withCore(async (handlers) => {
    const current = await handlers['settings.get']();
    const limits = { ...current.exposureLimits };
    let changed = false;
    for (const [option, field] of LIMIT_OPTIONS) {
      const text = stringOption(values, option);
      if (text === undefined) continue;
      if (!/^\d+$/.test(text)) throw new UsageError(`--${option} must be a whole number (got "${text}")`);
      limits[field] = Number(text);
      changed = true;
    }
    const rateText = stringOption(values, 'gold-rate');
    const goldRate = rateText === undefined ? undefined : Number(rateText);
    if (rateText !== undefined && !/^[0-9.]+$/.test(rateText))
      throw new UsageError(`--gold-rate must be a number such as 0.05 (got "${rateText}")`);
    const settings =
      changed || goldRate !== undefined
        ? await handlers['settings.set']({
            ...(changed ? { exposureLimits: limits } : {}),
            ...(goldRate !== undefined ? { goldRate } : {}),
          })
        : current;
    const shown = { goldRate: settings.goldRate, exposureLimits: settings.exposureLimits };
    if (context.json) io.stdout(`${JSON.stringify(shown)}\n`);
    else
      io.stdout(
        `gold rate ${settings.goldRate}\n` +
          LIMIT_OPTIONS.map(([option, field]) => `${option.padEnd(13)} ${settings.exposureLimits[field]}`).join('\n') +
          '\n',
      );
    return EXIT_OK;
  });
}

async function runPractice(context: RunContext): Promise<number> {
  const [action, ...rest] = context.positionals;
  if (action !== 'create')
    throw new UsageError(action ? `unknown practice action "${action}" (create)` : 'missing action: create');
  if (rest.length) throw new UsageError(`unexpected argument "${rest[0]}"`);
  if (context.values['from-gold'] !== true)
    throw new UsageError('practice create needs --from-gold (a practice set is made of gold cases)');
  const out = stringOption(context.values, 'out');
  if (!out) throw new UsageError('--out DIR is required (a new folder for the practice workspace)');
  return context.withCore(async (handlers) => {
    const summary = await handlers['practice.create']({ out });
    if (context.json) context.io.stdout(`${JSON.stringify(summary)}\n`);
    else
      context.io.stdout(
        `Practice workspace with ${summary.cases} gold case(s) (${summary.images} picture(s)) written to ${summary.out}. ` +
          'Hand it to the trainee like a pack; it opens as its own data folder and can never be exported or merged.\n',
      );
    return EXIT_OK;
  });
}

export const QUALITY_COMMANDS: Record<string, Command> = {
  demo: {
    summary: 'add the sample workspace: ~30 synthetic cases with pictures and demo verdicts (no model needed)',
    usage: 'guardtrace demo [--data-dir DIR]',
    details: `Writes synthetic cases made for GuardTrace (every category, all three levels, long and Chinese traces,
pictures drawn on the fly, one abstract stand-in for a graphic image) into the data folder, each with a demo verdict
written by hand. Demo verdicts name engine "demo" and say so in their provenance; sft/dpo exports leave sample cases
out, jsonl/csv mark them (meta.demo). Running it again adds nothing.`,
    options: {},
    run: runDemo,
  },
  gold: {
    summary: 'gold cases (known answers) for scoring reviewers and the model: set, unset, list',
    usage:
      'guardtrace gold set CASE_ID --risk R [--category C] [--note TEXT] | gold set CASE_ID --from label|adjudication | gold unset CASE_ID | gold list [--json]',
    details: `  set CASE_ID      mark the case gold with its answer (changing it again is logged, never silent)
  --risk R         the gold level: 0, 0.5 or 1
  --category C     the gold category
  --note TEXT      the explanation shown to trainees in practice mode
  --from F         label: the level the import read (gold/label field); adjudication: the case's adjudication
  unset CASE_ID    remove the mark (logged)
  list             every gold case with who set it and when
Reviewers are scored against gold in \`guardtrace stats --json\` (gold.reviewers, gold.model). Nothing a reviewer's
screen or pack reads says which cases are gold (docs/quality.md).`,
    options: {
      risk: { type: 'string' },
      category: { type: 'string' },
      note: { type: 'string' },
      from: { type: 'string' },
    },
    run: runGold,
  },
  limits: {
    summary: "the lead's settings: exposure limits that suggest and enforce breaks, and the gold rate",
    usage:
      'guardtrace limits [--soft-images N] [--hard-images N] [--soft-harmful N] [--hard-harmful N] [--break-minutes N] [--soft-minutes N] [--gold-rate R]',
    details: `  Counted per moderator since their last break (images revealed, cases judged harmful, minutes of work).
  A soft limit suggests a break; a hard limit keeps every image blurred until a break of --break-minutes is over.
  --gold-rate R    share of each reviewer's pack that is gold (default 0.05)
Without options: prints the current values. The app's window cannot change these (docs/quality.md).`,
    options: Object.fromEntries([
      ...LIMIT_OPTIONS.map(([option]) => [option, { type: 'string' as const }]),
      ['gold-rate', { type: 'string' as const }],
    ]),
    run: runLimits,
  },
  practice: {
    summary: 'a practice workspace for new moderators, made of the gold cases',
    usage: 'guardtrace practice create --from-gold --out DIR',
    details: `  --from-gold      the practice set is this workspace's gold cases (with their answers and explanations)
  --out DIR        a new or empty folder: the practice workspace's data folder
The trainee opens it as their data folder (GUARDTRACE_DATA_DIR=DIR, or --data-dir DIR); after each decision the app
shows the gold answer, its explanation and the model's verdict. It never exports labels, makes or takes packs, or
merges decisions.`,
    options: { 'from-gold': { type: 'boolean' }, out: { type: 'string', short: 'o' } },
    run: runPractice,
  },
};
