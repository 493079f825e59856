// What the app window may ask of the main process beyond a well-formed request (schemas.ts checks the shape).
// The renderer shows hostile text all day; should a script ever run there, it must not be able to name files to
// read or write, an executable to start, or an environment variable to send to a server of its choosing.
import path from 'node:path';
import type { Settings } from '@domain/settings';
import type { Channel } from './contract';
import { ApiError } from './errors';

export type PathPurpose =
  | 'import'
  | 'imagesDir'
  | 'export'
  | 'promptFile'
  | 'modelDir'
  | 'llamaServerPath'
  /** A Hugging Face folder to convert (read); the conversion's output folder is an 'export'. */
  | 'hfDir';

export interface RendererPolicy {
  /** Paths the main process returned from its own file dialogs in this session. */
  grants: PathGrants;
  /** Asks the user, in a main-process dialog, whether a path the window named (a dropped file) may be used. */
  confirm: (purpose: PathPurpose, file: string) => Promise<boolean>;
}

/** Paths handed out by main-process dialogs; only these exact paths are usable without a confirmation. */
export class PathGrants {
  private readonly paths = new Set<string>();

  grant(file: string): string {
    this.paths.add(path.resolve(file));
    return file;
  }

  has(file: string): boolean {
    return this.paths.has(path.resolve(file));
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
      out.push(['export', a.outDir as string]);
      break;
    case 'packs.import':
    case 'decisions.import':
      out.push(['import', a.file as string]);
      break;
    case 'decisions.export':
      out.push(['export', a.out as string]);
      // --pack takes a pack id or a pack file; only a file is a path the window must have been given.
      if (typeof a.pack === 'string' && /[\\/]/.test(a.pack)) out.push(['import', a.pack]);
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
  const current = await settings();
  for (const [purpose, file] of namedPaths(channel, arg)) {
    if (policy.grants.has(file)) continue;
    if (purpose === 'modelDir' && current.modelDir && path.resolve(current.modelDir) === path.resolve(file)) continue;
    if (
      purpose === 'llamaServerPath' &&
      current.llamaServerPath &&
      path.resolve(current.llamaServerPath) === path.resolve(file)
    )
      continue;
    if (await policy.confirm(purpose, file)) {
      policy.grants.grant(file);
      continue;
    }
    throw new ApiError(
      'forbidden',
      `The path ${file} was not chosen in a file dialog and was not confirmed; choose it with the ${purpose} button instead.`,
    );
  }
}
