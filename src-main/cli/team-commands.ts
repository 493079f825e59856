import { CASE_STATUS_FILTERS, type CaseStatusFilter, type QueueFilter } from '@domain/cases';
import { DEFAULT_OVERLAP, type PackSplit } from '@domain/team';
import { isRiskLevel, type RiskLevel } from '@domain/types';
import {
  EXIT_OK,
  UsageError,
  categoryOption,
  oneLine,
  oneOf,
  onlyPositional,
  riskOption,
  stringOption,
  type Command,
  type RunContext,
} from './main';

// Team review on the command line (docs/team-review.md): the lead writes assignment packs, reviewers import
// them and export their decisions, the lead imports those and adjudicates disputes. Same handler map as the app.
// Only functions are taken from ./main (which imports this file), so the import cycle is safe.

const STATUSES: readonly CaseStatusFilter[] = CASE_STATUS_FILTERS;

const FILTER_HELP = `status=${STATUSES.join('|')}, model-risk=R, human-risk=R, gold=R,
                   category=C, search=WORDS, pack=ID, disputed=true`;

/** `--filter key=value` (repeatable) → the queue filter the app's queue uses. */
export function parseFilter(items: readonly string[]): QueueFilter {
  const filter: QueueFilter = {};
  for (const item of items) {
    const at = item.indexOf('=');
    if (at < 1) throw new UsageError(`--filter takes key=value (got "${item}"); keys: ${FILTER_HELP}`);
    const key = item.slice(0, at).trim();
    const value = item.slice(at + 1).trim();
    const riskValue = (): RiskLevel => {
      const risk = Number(value);
      if (!/^[0-9.]+$/.test(value) || !isRiskLevel(risk))
        throw new UsageError(`--filter ${key} must be 0, 0.5 or 1 (got "${value}")`);
      return risk;
    };
    switch (key) {
      case 'status':
        filter.status = oneOf(value, STATUSES, 'filter status');
        break;
      case 'model-risk':
        filter.modelRisk = riskValue();
        break;
      case 'human-risk':
        filter.humanRisk = riskValue();
        break;
      case 'gold':
        filter.gold = riskValue();
        break;
      case 'category':
        filter.category = categoryOption({ 'filter category': value }, 'filter category');
        break;
      case 'search':
        filter.search = value;
        break;
      case 'pack':
        filter.pack = value;
        break;
      case 'disputed':
        filter.disputed = value !== 'false' && value !== '0';
        break;
      default:
        throw new UsageError(`unknown --filter key "${key}"; keys: ${FILTER_HELP}`);
    }
  }
  return filter;
}

function subcommand(context: RunContext, allowed: readonly string[], command: string): [string, string[]] {
  const [sub, ...rest] = context.positionals;
  if (!sub || !allowed.includes(sub))
    throw new UsageError(
      `expected "${command} ${allowed.join('" or "' + command + ' ')}"${sub ? ` (got "${sub}")` : ''}`,
    );
  return [sub, rest];
}

function onlyFile(rest: string[], what: string): string {
  return onlyPositional({ positionals: rest } as RunContext, what);
}

async function runPack(context: RunContext): Promise<number> {
  const { values, io } = context;
  const [sub, rest] = subcommand(context, ['create', 'import'], 'pack');
  if (sub === 'import') {
    const file = onlyFile(rest, 'pack FILE to import');
    return context.withCore(async (handlers) => {
      const summary = await handlers['packs.import']({ file });
      if (context.json) io.stdout(`${JSON.stringify(summary)}\n`);
      else if (summary.alreadyImported)
        io.stdout(`Pack ${summary.packId} (${summary.reviewer}) was imported before; nothing added.\n`);
      else
        io.stdout(
          `Imported pack ${summary.packId} for ${summary.reviewer}, signed by ${summary.signedBy.name} (${summary.signedBy.fingerprint}): ${summary.cases} case(s) (${summary.newCases} new), ` +
            `${summary.images} image(s), ${summary.verdicts} model verdict(s). Filter the queue with pack=${summary.packId}.\n`,
        );
      return EXIT_OK;
    });
  }
  if (rest.length) throw new UsageError(`unexpected argument "${rest[0]}"`);
  const reviewersText = stringOption(values, 'reviewers');
  if (!reviewersText) throw new UsageError('--reviewers a,b,c is required');
  const reviewers = reviewersText
    .split(',')
    .map((name) => name.trim())
    .filter(Boolean);
  const overlapText = stringOption(values, 'overlap');
  const overlap = overlapText === undefined ? undefined : Number(overlapText);
  if (overlapText !== undefined && (!/^[0-9.]+$/.test(overlapText) || !Number.isFinite(overlap)))
    throw new UsageError(`--overlap must be a share between 0 and 1 such as 0.1 (got "${overlapText}")`);
  const out = stringOption(values, 'out');
  if (!out) throw new UsageError('--out DIR is required');
  const by = oneOf(stringOption(values, 'by'), ['round-robin', 'category'] as const, 'by');
  const split: PackSplit = by === 'category' ? 'category' : 'round_robin';
  const filterValues = values.filter as unknown as string[] | undefined;
  const filter = parseFilter(filterValues ?? []);
  return context.withCore(async (handlers) => {
    const summary = await handlers['packs.create']({
      reviewers,
      overlap,
      split,
      filter,
      showModelVerdict: values['hide-model'] !== true,
      outDir: out,
    });
    if (context.json) io.stdout(`${JSON.stringify(summary)}\n`);
    else {
      io.stdout(
        `Split ${summary.selected} case(s) among ${summary.packs.length} reviewer(s), ${summary.doubleReviewed} sent to two reviewers:\n`,
      );
      for (const pack of summary.packs)
        io.stdout(
          `  ${pack.file}  ${pack.cases} case(s), ${pack.overlapCases} shared, ${pack.images} image(s)  (pack ${pack.packId})\n`,
        );
    }
    return EXIT_OK;
  });
}

async function runDecisions(context: RunContext): Promise<number> {
  const { values, io } = context;
  const [sub, rest] = subcommand(context, ['export', 'import'], 'decisions');
  if (sub === 'import') {
    const file = onlyFile(rest, 'decisions FILE to import');
    return context.withCore(async (handlers) => {
      const summary = await handlers['decisions.import']({ file });
      if (context.json) io.stdout(`${JSON.stringify(summary)}\n`);
      else
        io.stdout(
          `Imported ${summary.imported} decision(s) and undo(s) by ${summary.reviewer} from pack ${summary.packId}` +
            `${summary.alreadyPresent ? ` (${summary.alreadyPresent} already imported before)` : ''}; ` +
            `${summary.disputed} of the pack's cases are in dispute.\n`,
        );
      return EXIT_OK;
    });
  }
  if (rest.length) throw new UsageError(`unexpected argument "${rest[0]}"`);
  const pack = stringOption(values, 'pack');
  const out = stringOption(values, 'out');
  if (!pack) throw new UsageError('--pack FILE|ID is required');
  if (!out) throw new UsageError('--out FILE is required');
  return context.withCore(async (handlers) => {
    const summary = await handlers['decisions.export']({ pack, out });
    if (context.json) io.stdout(`${JSON.stringify(summary)}\n`);
    else
      io.stdout(
        `Wrote ${summary.decisions} decision(s) and ${summary.undos} undo(s) of pack ${summary.packId} to ${summary.out} (checksum ${summary.checksum.slice(0, 12)}…).\n`,
      );
    return EXIT_OK;
  });
}

async function runAdjudicate(context: RunContext): Promise<number> {
  const { values, io } = context;
  const caseId = onlyPositional(context, 'CASE id');
  const risk = riskOption(values);
  const reviewer = stringOption(values, 'reviewer');
  if (!reviewer?.trim()) throw new UsageError('--reviewer NAME is required (the adjudicator)');
  const category = categoryOption(values);
  return context.withCore(async (handlers) => {
    const review = await handlers['adjudication.submit']({
      caseId,
      risk,
      category: category ?? null,
      note: stringOption(values, 'note') ?? null,
      analysis: stringOption(values, 'analysis') ?? null,
      reviewer: reviewer.trim(),
      source: 'cli',
    });
    if (context.json) io.stdout(`${JSON.stringify(review)}\n`);
    else
      io.stdout(
        oneLine(
          `Adjudicated case ${review.caseId}: risk ${review.risk}${review.category ? `, ${review.category}` : ''} by ${review.reviewer}; this is now the decision in force.`,
        ) + '\n',
      );
    return EXIT_OK;
  });
}

export const TEAM_COMMANDS: Record<string, Command> = {
  pack: {
    summary: 'team review: write assignment packs for reviewers, or import one on a reviewer workstation',
    usage:
      'guardtrace pack create --reviewers a,b,c [--overlap 0.1] [--by round-robin|category] [--filter KEY=VALUE]… [--hide-model] --out DIR | guardtrace pack import FILE',
    details: `  create           split the selected cases among the reviewers and write DIR/<reviewer>.gtpack for each
  --reviewers LIST reviewer names, comma-separated (they become file names)
  --overlap S      share of cases sent to two reviewers for double review (default ${DEFAULT_OVERLAP}); deterministic
  --by B           round-robin (default) or category (whole categories per reviewer)
  --filter K=V     which cases (repeatable, default all): ${FILTER_HELP}
  --hide-model     blind review: the packs carry no model verdicts
  --out DIR        folder for the packs (created if missing; existing packs are never overwritten)
  import FILE      add the pack's cases (tagged with the pack) to this workstation; importing it again adds nothing;
                   refused unless signed by a key enrolled here (guardtrace team trust LEAD-KEY --as NAME)`,
    options: {
      reviewers: { type: 'string' },
      overlap: { type: 'string' },
      by: { type: 'string' },
      filter: { type: 'string', multiple: true },
      'hide-model': { type: 'boolean' },
      out: { type: 'string', short: 'o' },
    },
    run: runPack,
  },
  decisions: {
    summary: "team review: export a pack's decisions (reviewer), or import a decisions file (lead)",
    usage: 'guardtrace decisions export --pack FILE|ID --out FILE | guardtrace decisions import FILE',
    details: `  export           write every decision, undo and note made here on the pack's cases, with a checksum,
                   signed with this workspace's key (guardtrace identity show)
  --pack FILE|ID   the .gtpack file or its pack id
  --out FILE       the decisions file to write
  import FILE      (lead) store a reviewer's decisions as their reviews; refused whole if the file was changed,
                   is unsigned, is signed by a key not enrolled here or by another key than the pack's reviewer's,
                   is for another store, or does not match its pack; importing it again adds nothing`,
    options: { pack: { type: 'string' }, out: { type: 'string', short: 'o' } },
    run: runDecisions,
  },
  adjudicate: {
    summary: 'team review: settle a case (e.g. one in dispute) with the decision in force',
    usage: 'guardtrace adjudicate CASE --risk 0|0.5|1 [--category C] [--note T] [--analysis T] --reviewer NAME',
    details: `  CASE             the case id (see: guardtrace export, or the queue filtered by disputed=true)
  --risk R         0 safe, 0.5 potentially harmful, 1 harmful
  --category C     one of the nine GuardTrace categories
  --note T         why (kept with the adjudication and in the audit log)
  --analysis T     the reasoning (used by sft/dpo exports)
  --reviewer NAME  the adjudicator`,
    options: {
      risk: { type: 'string' },
      category: { type: 'string' },
      note: { type: 'string' },
      analysis: { type: 'string' },
      reviewer: { type: 'string' },
    },
    run: runAdjudicate,
  },
};
