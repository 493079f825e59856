// What the app window may ask of the main process beyond a well-formed request (schemas.ts checks the shape).
// The renderer shows hostile text all day; should a script ever run there, it must not be able to name files to
// read or write, an executable to start, or an environment variable to send to a server of its choosing.
import path from 'node:path';
import type { Settings } from '@domain/settings';
import type { Channel } from './contract';
import { enforceDestinationPolicy, type ConfirmDestination } from './destination-policy';
import { ApiError } from './errors';

export type PathPurpose =
  | 'import'
  | 'imagesDir'
  | 'export'
  | 'promptFile'
  | 'modelDir'
  | 'llamaServerPath'
  | 'packDir'
  | 'packFile'
  | 'decisionsFile'
  /** A Hugging Face folder to convert (read); the conversion's output folder is an 'export'. */
  | 'hfDir';

export interface RendererPolicy {
  /** Paths the main process returned from its own file dialogs in this session. */
  grants: PathGrants;
  /** Asks the user, in a main-process dialog, whether a path the window named (a dropped file) may be used. */
  confirm: (purpose: PathPurpose, file: string) => Promise<boolean>;
  /**
   * Asks the user, in a dialog the main process words, whether case data may go to a new destination (a server
   * address, plain http to a remote host, another llama-server program): destination-policy.ts.
   */
  confirmDestination: ConfirmDestination;
}

/**
 * Paths handed out by main-process dialogs, each for the purposes of the dialog that returned it: only these exact
 * paths, and only for those purposes, are usable without a confirmation (a file picked to import is not a binary
 * the app may run, nor a place to export to).
 */
export class PathGrants {
  private readonly paths = new Map<string, Set<PathPurpose>>();

  grant(file: string, purposes: readonly PathPurpose[]): string {
    const key = path.resolve(file);
    const granted = this.paths.get(key) ?? new Set<PathPurpose>();
    for (const purpose of purposes) granted.add(purpose);
    this.paths.set(key, granted);
    return file;
  }

  has(file: string, purpose: PathPurpose): boolean {
    return this.paths.get(path.resolve(file))?.has(purpose) ?? false;
  }
}

/** The paths a request names, with what each is for. */
function namedPaths(channel: Channel, arg: unknown): Array<[PathPurpose, string]> {
  const a = (arg ?? {}) as Record<string, unknown>;
  const out: Array<[PathPurpose, string | undefined | null]> = [];
  switch (channel) {
    case 'import.run':
      out.push(['import', a.file as string], ['imagesDir', a.imagesDir as string | undefined]);
      break;
    case 'export.run':
      out.push(['export', a.out as string], ['promptFile', a.promptFile as string | undefined]);
      break;
    case 'packs.create':
      out.push(['packDir', a.outDir as string]);
      break;
    case 'practice.create':
      out.push(['export', a.out as string]);
      break;
    case 'packs.import':
      out.push(['packFile', a.file as string]);
      break;
    case 'decisions.import':
      out.push(['decisionsFile', a.file as string]);
      break;
    case 'decisions.export':
      out.push(['export', a.out as string]);
      // --pack takes a pack id or a pack file; only a file is a path the window must have been given.
      if (typeof a.pack === 'string' && /[\\/]/.test(a.pack)) out.push(['packFile', a.pack]);
      break;
    case 'model.convert':
      out.push(['hfDir', a.hfDir as string], ['export', a.outDir as string], ['promptFile', a.promptFile as string]);
      break;
    case 'engine.check':
    case 'engine.load':
      out.push(['modelDir', a.modelDir as string | undefined]);
      break;
    case 'settings.set':
      out.push(['modelDir', a.modelDir as string | null | undefined]);
      out.push(['llamaServerPath', a.llamaServerPath as string | null | undefined]);
      break;
    default:
      break;
  }
  return out.filter((entry): entry is [PathPurpose, string] => typeof entry[1] === 'string');
}

/**
 * Throws ApiError('forbidden') for what the window may not do: name an environment variable (apiKeyEnv is for the
 * CLI), or use a path that neither came from a main-process dialog, nor is the one already in Settings, nor was
 * confirmed by the user just now.
 */
export async function enforceRendererPolicy(
  channel: Channel,
  arg: unknown,
  policy: RendererPolicy,
  settings: () => Settings | Promise<Settings>,
): Promise<void> {
  if (channel === 'engine.load' && (arg as { openai?: { apiKeyEnv?: unknown } } | undefined)?.openai?.apiKeyEnv) {
    throw new ApiError(
      'forbidden',
      'openai.apiKeyEnv is accepted from the command line only. In the app, enter the API key in Settings → Engine (it is stored encrypted).',
    );
  }
  const patch = channel === 'settings.set' ? (arg as Partial<Settings> | undefined) : undefined;
  if (patch && (patch.exposureLimits !== undefined || patch.goldRate !== undefined)) {
    // The lead's settings: a moderator must not be able to raise their own exposure limit from the app.
    throw new ApiError(
      'forbidden',
      'Exposure limits and the gold rate are set by the lead on the command line: guardtrace limits --help.',
    );
  }
  const current = await settings();
  await enforceDestinationPolicy(channel, arg, policy.confirmDestination, current);
  for (const [purpose, file] of namedPaths(channel, arg)) {
    if (policy.grants.has(file, purpose)) continue;
    if (purpose === 'modelDir' && current.modelDir && path.resolve(current.modelDir) === path.resolve(file)) continue;
    if (
      purpose === 'llamaServerPath' &&
      current.llamaServerPath &&
      path.resolve(current.llamaServerPath) === path.resolve(file)
    )
      continue;
    if (await policy.confirm(purpose, file)) {
      policy.grants.grant(file, [purpose]);
      continue;
    }
    throw new ApiError(
      'forbidden',
      `The path ${file} was not chosen in a file dialog and was not confirmed; choose it with the ${purpose} button instead.`,
    );
  }
}
