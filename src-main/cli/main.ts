import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { AuditProgress } from '@domain/audits';
import { ENGINE_SELECTIONS, type EngineSelection } from '@domain/engine';
import {
  correctionsLeftOutText,
  EXPORT_FORMATS,
  EXPORT_SELECTIONS,
  IMPORT_FORMATS,
  type ExportFormat,
  type ExportSelection,
  type ImportFormat,
  type ImportProgress,
} from '@domain/io';
import type { ApiHandlers } from '../api/contract';
import type { Core } from '../api/core';
import { CATEGORIES, isCategory, RISK_LEVELS, type Category, type RiskLevel } from '@domain/types';
import { defaultDataDir } from './data-dir';
import { ProgressBar } from './progress-bar';
import { QUALITY_COMMANDS } from './quality-commands';
import { TEAM_COMMANDS } from './team-commands';
import { LOCATE_COMMAND } from './locate-command';
import { TEAM_DATABASE_COMMANDS, teamStoreUrl } from './team-database-commands';
import { MODEL_COMMANDS } from './model-commands';
import { IDENTITY_COMMANDS } from './identity-commands';
import { teamStatsOf } from '@domain/team';

// `guardtrace`: the command-line front end. It calls the same handler map as the desktop app, never the
// store directly, so both front ends apply the same validation, activity logging and events.

export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** Draw progress bars (stderr is a terminal). */
  interactive: boolean;
}

const processIo: CliIo = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  interactive: Boolean(process.stderr.isTTY),
};

export const EXIT_OK = 0;
/** Some records were rejected, or an audit job failed. */
export const EXIT_PARTIAL = 1;
/** The command line or the configuration is wrong; nothing was done. */
export const EXIT_USAGE = 2;

export class UsageError extends Error {
  readonly code = 'usage';
}

type Options = NonNullable<ParseArgsConfig['options']>;

export interface Command {
  summary: string;
  usage: string;
  details: string;
  options: Options;
  run: (context: RunContext) => Promise<number>;
  /** Only reads the store: the database is opened read-only (works on a folder the user cannot write). */
  readOnly?: boolean;
  /** Runs on a team database with --store URL (every part of the store it uses exists there). */
  teamDatabase?: boolean;
}

export interface RunContext {
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
  io: CliIo;
  json: boolean;
  /** `local`: the data folder's own store even where a team database is configured (identity, trusted keys). */
  withCore: <T>(work: (handlers: ApiHandlers, core: Core) => Promise<T>, options?: { local?: boolean }) => Promise<T>;
  /** The team database (--store URL or $GUARDTRACE_DATABASE_URL), when the command runs on one. */
  storeUrl?: string;
}

const COMMON: Options = {
  'data-dir': { type: 'string' },
  store: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
};

const COMMON_HELP = `  --data-dir DIR   case store folder (default: $GUARDTRACE_DATA_DIR, else the desktop app's data folder)
  --store URL      a team database, postgres://user@host/db (default: $GUARDTRACE_DATABASE_URL); not with --data-dir;
                   for "team", "audit", "review" and "export" (the other commands work on a data folder)
  --json           machine-readable output on stdout
  -h, --help       this help`;

/** What to do when PostgreSQL refused the login (insufficient_privilege): its role does not allow this. */
function refusedByTeamDatabase(error: unknown, command: string): string {
  if ((error as { code?: unknown })?.code !== '42501') return '';
  const needed = command === 'audit' ? ' An audit worker needs a login with the auditor role.' : '';
  return (
    ` The team database does not allow this for your login ("guardtrace team whoami --store URL" shows its role).${needed}` +
    ' A database admin grants roles with "guardtrace team add-user NAME --role ROLE".'
  );
}

/** "guardtrace team" and the commands marked teamDatabase: what runs with --store URL, for messages. */
function teamDatabaseCommands(): string {
  const names = Object.entries(COMMANDS)
    .filter(([name, command]) => command.teamDatabase || name in TEAM_DATABASE_COMMANDS)
    .map(([name]) => `"guardtrace ${name}"`);
  return `only ${names.join(' and ')}`;
}

const COMMANDS: Record<string, Command> = {
  import: {
    summary: 'import cases from a GuardTrace dataset JSON, JSONL or CSV file',
    usage:
      'guardtrace import FILE [--images DIR] [--format guardtrace|jsonl|csv|guardtrace-results] [--actor NAME] [--as-reference-eval]',
    details: `  FILE             .json (GuardTrace dataset: array of {image_name, question, thinking, response, evaluation_result}),
                   .jsonl/.ndjson ({id?, question, thinking, response, image?, gold?, meta?} per line) or .csv (same columns)
  --images DIR     folder the image names are relative to (default: images/ beside a .json, else the file's folder)
  --format F       guardtrace | jsonl | csv (default: from the extension) | guardtrace-results: the output JSON of
                   the reference script (GuardTrace-VL eval/S-Eval_test_eval.py, [{image_name, query, thinking,
                   response, eval_result, label}]): stores the cases (label = gold) and each eval_result as a
                   reference verdict, parsed like the app's own; the script's {image_name, error} entries are listed.
                   Each verdict goes to the case already imported with the same image name, query, thinking and
                   response; missing texts get the script's fallbacks ("No question provided", …); a label outside
                   0/0.5/1 is listed and the record still imported (without gold)
  --as-reference-eval  image cases whose image name starts with "S-Eval" get the fixed FigStep query, as the
                   reference script sends it (the dataset's question is kept in the case's meta); always done for
                   guardtrace-results
  --actor NAME     who the activity log records as importing (default: the reviewer in Settings)
Re-importing the same file adds nothing: cases are identified by their id or by a hash of their content.
Exit 1 when some records were rejected (each is listed on stderr with file, record, field and reason).`,
    options: {
      images: { type: 'string' },
      format: { type: 'string' },
      actor: { type: 'string' },
      'as-reference-eval': { type: 'boolean' },
    },
    run: runImport,
  },
  export: {
    summary: 'export cases, verdicts and decisions (jsonl, csv) or training data (sft, dpo)',
    usage:
      'guardtrace export --format jsonl|csv|sft|dpo|steps --out FILE [--only reviewed|all|disagreements] [--with-images] [--prompt FILE]',
    details: `  --format F       jsonl: one case per line with gold, model and human verdicts and the final label
                   csv: the same, flat (formula-looking cells are prefixed with ')
                   sft: chat messages for fine-tuning an auditor (needs a human analysis)
                   dpo: {prompt, chosen, rejected} where the human disagreed with the model
                   steps: per reviewed case, the trace's steps with the moderator's first unsafe step and
                   per-step labels (PRM800K-style), the model's located step (docs/step-localization.md)
  --out FILE       output file (written to a temp file, then renamed)
  --only S         reviewed | all | disagreements (default: all for jsonl/csv, reviewed for sft/dpo)
  --with-images    copy images into <name>-images/ beside the output and refer to them by relative path
  --prompt FILE    system prompt for sft/dpo (default: the model folder's qta_pormpt.txt)`,
    teamDatabase: true,
    options: {
      format: { type: 'string' },
      out: { type: 'string', short: 'o' },
      only: { type: 'string' },
      'with-images': { type: 'boolean' },
      prompt: { type: 'string' },
    },
    run: runExport,
    readOnly: true,
  },
  review: {
    summary: "record a moderator's decision on a case",
    usage: 'guardtrace review CASE --risk 0|0.5|1 --reviewer NAME [--category C] [--analysis TEXT] [--note TEXT]',
    details: `  CASE             the case id
  --risk R         0 safe, 0.5 potentially harmful, 1 harmful
  --reviewer NAME  who decides (recorded in the activity log); on a team database (--store URL) the decision is
                   recorded under your database login, and a different --reviewer is refused
  --category C     one of: ${CATEGORIES.join('; ')}
  --analysis TEXT  the reasoning (needed for sft/dpo exports)
  --note TEXT      a private note`,
    teamDatabase: true,
    options: {
      risk: { type: 'string' },
      reviewer: { type: 'string' },
      category: { type: 'string' },
      analysis: { type: 'string' },
      note: { type: 'string' },
    },
    run: runReview,
  },
  stats: {
    summary: 'counts of cases, images, audits, reviews and jobs, model-vs-gold and app-vs-reference agreement',
    usage: 'guardtrace stats [--json]',
    details: '',
    options: {},
    run: runStats,
    readOnly: true,
  },
  backup: {
    summary: 'copy the case database to FILE while it is in use (SQLite online backup)',
    usage: 'guardtrace backup --out FILE',
    details: `  --out FILE       the backup file (written beside it as a temp file, checked, then renamed)
To restore: close GuardTrace and every guardtrace command, then copy FILE over <data folder>/guardtrace.sqlite
(and delete guardtrace.sqlite-wal and -shm there). Images are not in the database: back up images/ with it.`,
    options: { out: { type: 'string', short: 'o' } },
    run: runBackup,
  },
  audit: {
    summary: 'audit cases that have no verdict yet with GuardTrace-VL',
    usage:
      'guardtrace audit [--model DIR] [--limit N] [--parallel N] [--strict] [--max-tokens N] [--threads N] [--engine auto|llama.node|node-llama-cpp|sidecar] | guardtrace audit --engine openai --base-url URL --model NAME [--prompt-dir DIR] [--parallel N] …',
    details: `  --model DIR      model folder: GGUF, mmproj and qta_pormpt.txt (default: the one chosen in Settings);
                   with --engine openai: the model's name on the server (vLLM --served-model-name)
  --limit N        audit at most N cases
  --parallel N     cases decoded together: llama-server slots, node-llama-cpp sequences or requests to a server
                   (default: the setting, 2; llama.node: always 1)
  --strict         constrain output to the "Analysis"/"Judgment" format
  --max-tokens N   generation limit per case (default 2000)
  --threads N      CPU threads for the local engines (default: one per physical core)
  --max-pixels N   image budget in pixels for this run (default: Settings, whose default is the reference
                   16384*28*28 = ${16384 * 28 * 28}; e.g. ${1280 * 28 * 28} = 1,280 vision tokens for a slow CPU —
                   image verdicts then differ from the published evaluation, and the run says so)
  --engine E       auto | llama.node | node-llama-cpp | sidecar | openai
  --base-url URL   OpenAI-compatible server (with --engine openai); API key from $GUARDTRACE_API_KEY
  --prompt-dir DIR with --engine openai: folder holding qta_pormpt.txt, sent as the system prompt
                   (default: the model folder chosen in Settings)
Ctrl+C (SIGINT) or SIGTERM stops after interrupting the current case, which goes back to the queue; the
engine (and a llama-server it started) is shut down. Re-running the same command resumes.
With --store URL the command works a team database's shared queue as an audit worker (a login with the auditor
role): several workers on several machines claim cases under leases and never generate a case twice.
Exit 1 when some cases failed or the batch stopped on an engine error; 130/143 when interrupted.`,
    teamDatabase: true,
    options: {
      model: { type: 'string' },
      limit: { type: 'string' },
      parallel: { type: 'string' },
      strict: { type: 'boolean' },
      'max-tokens': { type: 'string' },
      threads: { type: 'string' },
      'max-pixels': { type: 'string' },
      engine: { type: 'string' },
      'base-url': { type: 'string' },
      'prompt-dir': { type: 'string' },
    },
    run: runAudit,
  },
  ...TEAM_COMMANDS,
  ...QUALITY_COMMANDS,
  ...LOCATE_COMMAND,
  ...TEAM_DATABASE_COMMANDS,
  ...IDENTITY_COMMANDS,
  ...MODEL_COMMANDS,
};

function mainHelp(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((name) => name.length));
  return `guardtrace — GuardTrace Workstation on the command line

Usage: guardtrace <command> [options]

Commands:
${Object.entries(COMMANDS)
  .map(([name, command]) => `  ${name.padEnd(width)}  ${command.summary}`)
  .join('\n')}

Options for every command:
${COMMON_HELP}

Run "guardtrace <command> --help" for a command's options.
Exit codes: 0 success, 1 some records rejected or jobs failed, 2 usage or configuration error.
`;
}

function commandHelp(name: string): string {
  const command = COMMANDS[name];
  return `guardtrace ${name} — ${command.summary}

Usage: ${command.usage}
${command.details ? `\n${command.details}\n` : ''}
${COMMON_HELP}
`;
}

export async function main(argv: string[], io: CliIo = processIo): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    const topic = name === 'help' ? rest[0] : undefined;
    io.stdout(topic && COMMANDS[topic] ? commandHelp(topic) : mainHelp());
    return EXIT_OK;
  }
  const command = COMMANDS[name];
  if (!command) {
    io.stderr(
      `guardtrace: unknown command "${name}". Commands: ${Object.keys(COMMANDS).join(', ')}. See guardtrace --help.\n`,
    );
    return EXIT_USAGE;
  }
  let parsed: { values: Record<string, string | boolean | undefined>; positionals: string[] };
  try {
    parsed = parseArgs({
      args: rest,
      options: { ...COMMON, ...command.options },
      allowPositionals: true,
      strict: true,
    }) as typeof parsed;
  } catch (error) {
    io.stderr(`guardtrace ${name}: ${(error as Error).message.split('\n')[0]}. See guardtrace ${name} --help.\n`);
    return EXIT_USAGE;
  }
  if (parsed.values.help) {
    io.stdout(commandHelp(name));
    return EXIT_OK;
  }
  const dataDir = typeof parsed.values['data-dir'] === 'string' ? parsed.values['data-dir'] : defaultDataDir();
  let storeUrl: string | undefined;
  try {
    storeUrl = teamStoreUrl(parsed.values);
  } catch (error) {
    io.stderr(`guardtrace ${name}: ${(error as Error).message}\n`);
    return EXIT_USAGE;
  }
  let core: Core | null = null;
  const context: RunContext = {
    ...parsed,
    io,
    json: parsed.values.json === true,
    storeUrl,
    withCore: async (work, options) => {
      const coreStoreUrl = options?.local ? undefined : storeUrl;
      if (coreStoreUrl && !command.teamDatabase)
        throw new UsageError(
          `"guardtrace ${name}" does not work on a team database in this version (${teamDatabaseCommands()} do); ` +
            'use --data-dir DIR for a local workspace.',
        );
      // Loaded on first use: help and argument errors answer at once, without loading the model runtimes.
      const [{ createCore }, { createHandlers }] = await Promise.all([
        import('../api/core'),
        import('../api/handlers'),
      ]);
      const threads = positiveInt(stringOption(parsed.values, 'threads'), 'threads');
      const maxPixels = maxPixelsOption(stringOption(parsed.values, 'max-pixels'));
      core ??= await createCore({
        dataDir,
        storeUrl: coreStoreUrl,
        readOnly: command.readOnly,
        getApiKey: async () => process.env.GUARDTRACE_API_KEY ?? null,
        ...(threads || maxPixels ? { engine: { threads, maxPixels } } : {}),
      });
      return work(createHandlers(core), core);
    },
  };
  try {
    return await command.run(context);
  } catch (error) {
    const { code, message } = errorShape(error);
    io.stderr(`guardtrace ${name}: ${oneLine(message)}${storeUrl ? refusedByTeamDatabase(error, name) : ''}\n`);
    return code === 'usage' || code === 'config' || code === 'invalid' ? EXIT_USAGE : EXIT_PARTIAL;
  } finally {
    if (core) await (core as Core).close();
  }
}

function errorShape(error: unknown): { code: string; message: string } {
  if (error && typeof error === 'object' && 'message' in error) {
    const code = (error as { code?: unknown }).code;
    return {
      code: typeof code === 'string' ? code : 'internal',
      message: String((error as { message: unknown }).message),
    };
  }
  return { code: 'internal', message: String(error) };
}

export const oneLine = (text: string) => text.replace(/\s*\n\s*/g, ' ').trim();

export function stringOption(values: RunContext['values'], name: string): string | undefined {
  const value = values[name];
  return typeof value === 'string' ? value : undefined;
}

export function oneOf<T extends string>(
  value: string | undefined,
  allowed: readonly T[],
  option: string,
): T | undefined {
  if (value === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(value))
    throw new UsageError(`--${option} must be one of ${allowed.join(', ')} (got "${value}")`);
  return value as T;
}

/** Same bounds as the Max pixels setting (api/settings.ts, not imported here so --help stays free of native code). */
function maxPixelsOption(value: string | undefined): number | undefined {
  const pixels = positiveInt(value, 'max-pixels');
  if (pixels === undefined) return undefined;
  if (pixels < 8 * 28 * 28 || pixels > 16384 * 28 * 28)
    throw new UsageError(`--max-pixels must be between ${8 * 28 * 28} and ${16384 * 28 * 28} (got ${pixels})`);
  return pixels;
}

export function positiveInt(value: string | undefined, option: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || Number(value) < 1)
    throw new UsageError(`--${option} must be a whole number of 1 or more (got "${value}")`);
  return Number(value);
}

export function onlyPositional(context: RunContext, what: string): string {
  if (context.positionals.length !== 1) {
    throw new UsageError(
      context.positionals.length
        ? `expected one ${what}, got ${context.positionals.length}: ${context.positionals.join(' ')}`
        : `missing ${what}`,
    );
  }
  return context.positionals[0];
}

async function runImport(context: RunContext): Promise<number> {
  const { values, io } = context;
  const file = onlyPositional(context, 'FILE to import');
  const format = oneOf<ImportFormat>(stringOption(values, 'format'), IMPORT_FORMATS, 'format');
  return context.withCore(async (handlers, core) => {
    const bar = io.interactive && !context.json ? new ProgressBar(io.stderr, 'import') : null;
    const off = core.events.on('import.progress', (progress: ImportProgress) =>
      bar?.update(progress.processed, progress.total),
    );
    let summary;
    try {
      summary = await handlers['import.run']({
        file,
        format,
        imagesDir: stringOption(values, 'images'),
        actor: stringOption(values, 'actor'),
        ...(values['as-reference-eval'] === true ? { asReferenceEval: true } : {}),
      });
    } finally {
      off();
      bar?.clear();
    }
    if (context.json) io.stdout(`${JSON.stringify(summary)}\n`);
    else {
      io.stdout(
        `Imported ${summary.imported} new case(s) from ${summary.file} (${summary.format}): ${summary.duplicates} already present, ` +
          `${summary.rejected} rejected, ${summary.imagesMissing} with a missing image; ${summary.total} record(s) in ${summary.ms} ms.\n`,
      );
      const ref = summary.reference;
      if (ref)
        io.stdout(
          `Reference verdicts: ${ref.verdicts} stored (${ref.parseFailures} without a parseable verdict), ` +
            `${ref.alreadyPresent} already present, ${ref.matchedExisting} attached to cases already imported, ` +
            `${ref.scriptErrors} record(s) the reference script failed on.\n`,
        );
    }
    for (const error of summary.errors) {
      io.stderr(
        `${error.file}:${error.record}: ${error.field ? `field "${error.field}" ` : ''}${oneLine(error.reason)}\n`,
      );
    }
    if (summary.rejected > summary.errors.length && summary.errors.length) {
      io.stderr(`(${summary.rejected} records rejected; only the first ${summary.errors.length} errors are listed)\n`);
    }
    return summary.rejected > 0 ? EXIT_PARTIAL : EXIT_OK;
  });
}

async function runExport(context: RunContext): Promise<number> {
  const { values, io } = context;
  if (context.positionals.length)
    throw new UsageError(`unexpected argument "${context.positionals[0]}" (give the output with --out FILE)`);
  const format = oneOf<ExportFormat>(stringOption(values, 'format'), EXPORT_FORMATS, 'format');
  if (!format) throw new UsageError('--format is required (jsonl, csv, sft or dpo)');
  const out = stringOption(values, 'out');
  if (!out) throw new UsageError('--out FILE is required');
  const only = oneOf<ExportSelection>(stringOption(values, 'only'), EXPORT_SELECTIONS, 'only');
  return context.withCore(async (handlers) => {
    const summary = await handlers['export.run']({
      format,
      out,
      only,
      withImages: values['with-images'] === true,
      promptFile: stringOption(values, 'prompt'),
    });
    if (context.json) io.stdout(`${JSON.stringify(summary)}\n`);
    else {
      const reasons = Object.entries(summary.skippedReasons).map(([reason, n]) => `${n} ${reason}`);
      io.stdout(
        `Wrote ${summary.written} case(s) to ${summary.out} (${summary.format})` +
          (summary.images ? `, ${summary.images} image(s)` : '') +
          (summary.skipped ? `; left out ${summary.skipped}: ${reasons.join(', ')}` : '') +
          ` in ${summary.ms} ms.\n`,
      );
    }
    const corrections = correctionsLeftOutText(summary);
    if (corrections && !context.json) io.stderr(`${corrections}\n`);
    // Training targets whose analysis contradicts their judgment: each one named, so it can be fixed and re-exported.
    for (const refused of summary.refused ?? []) io.stderr(`refused case ${refused.caseId}: ${refused.reason}\n`);
    return summary.refused?.length ? EXIT_PARTIAL : EXIT_OK;
  });
}

async function runReview(context: RunContext): Promise<number> {
  const { values, io } = context;
  const caseId = onlyPositional(context, 'CASE id');
  const risk = riskOption(values);
  const reviewer = stringOption(values, 'reviewer')?.trim();
  // On a team database the login is the reviewer (the database records it); a name given must be that login.
  if (!reviewer && !context.storeUrl) throw new UsageError('--reviewer NAME is required');
  const category = categoryOption(values);
  return context.withCore(async (handlers) => {
    const review = await handlers['reviews.submit']({
      caseId,
      risk,
      category: category ?? null,
      analysis: stringOption(values, 'analysis') ?? null,
      note: stringOption(values, 'note') ?? null,
      ...(reviewer ? { reviewer } : {}),
      source: 'cli',
    });
    if (context.json) io.stdout(`${JSON.stringify(review)}\n`);
    else
      io.stdout(
        `Recorded decision ${review.id} on case ${review.caseId}: risk ${review.risk}${review.category ? `, ${review.category}` : ''} by ${review.reviewer}.\n`,
      );
    return EXIT_OK;
  });
}

/** `--risk 0|0.5|1` (required). */
export function riskOption(values: RunContext['values']): RiskLevel {
  const riskText = stringOption(values, 'risk');
  if (riskText === undefined) throw new UsageError('--risk is required (0, 0.5 or 1)');
  const risk = RISK_LEVELS.find((level) => String(level) === riskText || Number(riskText) === level);
  if (risk === undefined || !/^[0-9.]+$/.test(riskText))
    throw new UsageError(`--risk must be 0, 0.5 or 1 (got "${riskText}")`);
  return risk;
}

/** `--category C`, matched case-insensitively against the nine categories. */
export function categoryOption(values: RunContext['values'], option = 'category'): Category | undefined {
  const categoryText = stringOption(values, option);
  if (categoryText === undefined) return undefined;
  const match = CATEGORIES.find((c) => c.toLowerCase() === categoryText.trim().toLowerCase());
  if (!match || !isCategory(match))
    throw new UsageError(`--${option} must be one of: ${CATEGORIES.join('; ')} (got "${categoryText}")`);
  return match;
}

async function runStats(context: RunContext): Promise<number> {
  if (context.positionals.length) throw new UsageError(`unexpected argument "${context.positionals[0]}"`);
  return context.withCore(async (handlers) => {
    const stats = {
      ...(await handlers['stats.get']()),
      ...teamStatsOf(await handlers['team.agreement']()),
      gold: await handlers['gold.report'](),
    };
    if (context.json) {
      context.io.stdout(`${JSON.stringify(stats)}\n`);
      return EXIT_OK;
    }
    const rows: Array<[string, string | number]> = [
      ['cases', stats.cases],
      ['images', stats.images],
      ['audits', stats.audits],
      ['audited cases', stats.audited],
      ['reviewed cases', stats.reviewed],
      ['parse failures', stats.parseFailures],
      [
        'jobs queued / running / done / failed',
        `${stats.jobs.queued} / ${stats.jobs.running} / ${stats.jobs.done} / ${stats.jobs.failed}`,
      ],
      [
        'step searches done / running / failed / not monotone',
        `${stats.located.done} / ${stats.located.running} / ${stats.located.failed} / ${stats.located.notMonotone}`,
      ],
      [
        'model vs gold',
        stats.modelVsGold
          ? `${(stats.modelVsGold.agreement * 100).toFixed(1)}% agreement on ${stats.modelVsGold.compared} case(s)`
          : 'no audited case has a gold label',
      ],
      [
        'app vs reference script',
        stats.referenceAgreement
          ? `${(stats.referenceAgreement.agreement * 100).toFixed(1)}% agreement on ${stats.referenceAgreement.compared} case(s); ` +
            `${stats.referenceAgreement.differingTotal} differ (listed by --json)`
          : 'no case has both an app verdict and an imported reference verdict',
      ],
      ['cases in dispute', stats.disputed],
      [
        'reviewer agreement (alpha, ordinal)',
        stats.agreement.alpha === null ? 'not enough double-reviewed cases' : stats.agreement.alpha.toFixed(3),
      ],
      [
        'gold cases',
        `${stats.gold.cases} (rate ${stats.gold.rate}); model ${percent(stats.gold.model.accuracy)} exact on ${stats.gold.model.n}; ` +
          (stats.gold.reviewers.map((r) => `${r.reviewer} ${percent(r.accuracy)} on ${r.n}`).join(', ') ||
            'no reviewer scored'),
      ],
      ...stats.agreement.pairs.map((pair): [string, string] => [
        `kappa ${pair.a} / ${pair.b}`,
        `${pair.kappa === null ? 'undefined' : pair.kappa.toFixed(3)} on ${pair.n} case(s)`,
      ]),
    ];
    const width = Math.max(...rows.map(([label]) => label.length));
    context.io.stdout(rows.map(([label, value]) => `${label.padEnd(width)}  ${value}`).join('\n') + '\n');
    return EXIT_OK;
  });
}

const percent = (share: number | null) => (share === null ? '-' : `${(share * 100).toFixed(1)}%`);

async function runBackup(context: RunContext): Promise<number> {
  if (context.positionals.length)
    throw new UsageError(`unexpected argument "${context.positionals[0]}" (give the output with --out FILE)`);
  const out = stringOption(context.values, 'out');
  if (!out) throw new UsageError('--out FILE is required');
  return context.withCore(async (_handlers, core) => {
    const summary = await core.backup(out);
    if (context.json) context.io.stdout(`${JSON.stringify(summary)}\n`);
    else
      context.io.stdout(
        `Backed up the case database to ${summary.out} (${summary.bytes} bytes) in ${summary.ms} ms.\n`,
      );
    return EXIT_OK;
  });
}

async function runAudit(context: RunContext): Promise<number> {
  const { values, io } = context;
  if (context.positionals.length) throw new UsageError(`unexpected argument "${context.positionals[0]}"`);
  const engine = oneOf<EngineSelection>(stringOption(values, 'engine'), ENGINE_SELECTIONS, 'engine');
  const limit = positiveInt(stringOption(values, 'limit'), 'limit');
  const parallel = positiveInt(stringOption(values, 'parallel'), 'parallel');
  const maxNewTokens = positiveInt(stringOption(values, 'max-tokens'), 'max-tokens');
  const { baseUrl, modelName, modelDir } = modelOptions(values, engine);
  return context.withCore(async (handlers, core) => {
    // Installed before the model loads: a default SIGTERM would end the process without its 'exit' hooks and leave
    // a llama-server sidecar running. The runner pauses (the in-flight case goes back to the queue, nothing is
    // cancelled), and main() then disposes the engine and closes the store before the process exits.
    let interrupted: NodeJS.Signals | null = null;
    let resolveSettled: (progress: AuditProgress) => void = () => undefined;
    const settled = new Promise<AuditProgress>((resolve) => (resolveSettled = resolve));
    const onSignal = (signal: NodeJS.Signals) => {
      if (interrupted) {
        // Second signal: the user does not want to wait; 'exit' hooks still stop the sidecar.
        io.stderr(`\n${signal} again: quitting now; re-run the same command to resume.\n`);
        process.exit(signalExitCode(signal));
      }
      interrupted = signal;
      io.stderr(
        `\n${signal}: stopping after the current case's generation is interrupted (send it again to quit at once)…\n`,
      );
      void handlers['audit.pause']().then(
        (progress) => progress.state !== 'running' && progress.state !== 'cancelling' && resolveSettled(progress),
        () => undefined,
      );
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    try {
      const state = await handlers['engine.load']({
        modelDir,
        engine,
        openai:
          engine === 'openai' ? { baseUrl: baseUrl!, model: modelName!, apiKeyEnv: 'GUARDTRACE_API_KEY' } : undefined,
        parallel,
      });
      if (state.state === 'error') throw Object.assign(new Error(state.message), { code: 'config' });
      if (state.state === 'loaded' && !context.json) {
        io.stderr(
          `Loaded ${state.info.modelName} (${state.info.engine}, ${state.info.gpu.backend})${state.info.promptHashOk ? '' : " — WARNING: the prompt differs from GuardTrace's"}\n`,
        );
        for (const warning of state.info.warnings) io.stderr(`warning: ${oneLine(warning)}\n`);
      }
      if (interrupted) {
        io.stderr(
          `Interrupted (${interrupted}) before auditing started; nothing was audited. Re-run the same command to start.\n`,
        );
        return signalExitCode(interrupted);
      }
      const bar = io.interactive && !context.json ? new ProgressBar(io.stderr, 'audit') : null;
      // 'paused' settles too: a signal pauses the runner, and so does an error no case can get past (a wrong key).
      const isSettled = (progress: AuditProgress) =>
        progress.state === 'done' || progress.state === 'idle' || progress.state === 'paused';
      const off = core.events.on('audit.progress', (progress: AuditProgress) => {
        bar?.update(
          progress.done + progress.failed,
          progress.total,
          progress.etaSeconds === null ? '' : `eta ${progress.etaSeconds}s`,
        );
        if (isSettled(progress)) resolveSettled(progress);
      });
      let final: AuditProgress;
      try {
        const started = await handlers['audit.start']({
          limit,
          parallel,
          strictFormat: values.strict === true ? true : undefined,
          maxNewTokens,
        });
        // Events can fire before this listener sees them (an empty queue settles at once); poll as a backstop.
        const poll = setInterval(
          () => void handlers['audit.status']().then((p) => isSettled(p) && resolveSettled(p)),
          1000,
        );
        try {
          final = isSettled(started) ? started : await settled;
          // The pause returns before the interrupted generation has unwound; wait for its job to be back in the queue.
          if (final.state === 'paused') final = await core.jobs.whenSettled();
        } finally {
          clearInterval(poll);
        }
      } finally {
        off();
        bar?.clear();
      }
      const left = Math.max(final.total - final.done - final.failed, 0);
      if (context.json) io.stdout(`${JSON.stringify(interrupted ? { ...final, interrupted, left } : final)}\n`);
      else if (interrupted) {
        io.stdout(
          `Interrupted (${interrupted}): audited ${final.done} case(s), ${final.failed} failed; ${left} left in the queue. ` +
            'Re-run the same command to resume where it stopped.\n',
        );
      } else if (final.state === 'paused') {
        io.stdout(
          `Stopped after ${final.done} case(s), ${final.failed} failed; ${left} left in the queue: ${oneLine(final.lastError ?? 'paused')}. Fix that, then re-run the same command to resume.\n`,
        );
      } else {
        io.stdout(
          `Audited ${final.done} case(s), ${final.failed} failed${final.lastError ? ` (last error: ${oneLine(final.lastError)})` : ''}.\n`,
        );
      }
      if (interrupted) return signalExitCode(interrupted);
      return final.failed > 0 || final.state === 'paused' ? EXIT_PARTIAL : EXIT_OK;
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
  });
}

/**
 * --model, --base-url and --prompt-dir as one engine choice. With a server the model files live there, so --model
 * names the served model; the prompt still comes from a folder here (--prompt-dir).
 */
export function modelOptions(
  values: RunContext['values'],
  engine: EngineSelection | undefined,
): { baseUrl?: string; modelName?: string; modelDir?: string } {
  const baseUrl = stringOption(values, 'base-url');
  const remote = engine === 'openai';
  const modelName = remote ? stringOption(values, 'model') : undefined;
  const modelDir = remote ? stringOption(values, 'prompt-dir') : stringOption(values, 'model');
  if (remote && (!baseUrl || !modelName))
    throw new UsageError('--engine openai needs --base-url URL and --model NAME (the name the server serves it under)');
  if (!remote && (baseUrl || values['prompt-dir'] !== undefined))
    throw new UsageError('--base-url and --prompt-dir only apply with --engine openai');
  return { baseUrl, modelName, modelDir };
}

/** The shell's convention for "ended by signal N": 128 + N (130 for SIGINT, 143 for SIGTERM). */
export function signalExitCode(signal: NodeJS.Signals): number {
  return 128 + (signal === 'SIGINT' ? 2 : 15);
}
