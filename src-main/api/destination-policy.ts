// Where case data goes is the user's decision, never the window's: a change of the engine's server address, of
// allowInsecureRemote, or of the llama-server program takes effect only after the user said yes in a dialog that the
// main process raises and words (naming the address, and that case data will leave the machine). The core stays free
// of `electron`: the main process injects `confirmDestination`; tests drive it directly. The CLI has no renderer, so
// none of this applies there (its user types the command).
import type { Settings } from '@domain/settings';
import type { Channel } from './contract';
import { ApiError } from './errors';

export type DestinationChange =
  /** Case texts and images will be sent to this server. */
  | { kind: 'serverAddress'; address: string }
  /** Plain http to a host that is not this machine will be allowed, for this address. */
  | { kind: 'insecureRemote'; address: string }
  /** This program will be started, and given every case, as the local model server. */
  | { kind: 'sidecarBinary'; path: string };

export type ConfirmDestination = (change: DestinationChange) => Promise<boolean>;

/** The destination changes a request from the window would make, compared with what Settings hold now. */
export function destinationChanges(channel: Channel, arg: unknown, current: Settings): DestinationChange[] {
  const a = (arg ?? {}) as {
    openai?: { baseUrl?: unknown; allowInsecureRemote?: unknown } | null;
    llamaServerPath?: unknown;
  };
  if (channel !== 'settings.set' && channel !== 'engine.load') return [];
  const changes: DestinationChange[] = [];
  const openai = a.openai;
  if (openai && typeof openai.baseUrl === 'string') {
    const address = openai.baseUrl.trim();
    if (address !== (current.openai?.baseUrl ?? '').trim()) changes.push({ kind: 'serverAddress', address });
    if (
      openai.allowInsecureRemote === true &&
      !(current.openai?.allowInsecureRemote && address === current.openai.baseUrl)
    )
      changes.push({ kind: 'insecureRemote', address });
  }
  if (
    channel === 'settings.set' &&
    typeof a.llamaServerPath === 'string' &&
    a.llamaServerPath !== current.llamaServerPath
  )
    changes.push({ kind: 'sidecarBinary', path: a.llamaServerPath });
  return changes;
}

/** Throws ApiError('forbidden') unless the user confirmed every destination change the request makes. */
export async function enforceDestinationPolicy(
  channel: Channel,
  arg: unknown,
  confirm: ConfirmDestination,
  current: Settings,
): Promise<void> {
  for (const change of destinationChanges(channel, arg, current)) {
    if (await confirm(change)) continue;
    const what =
      change.kind === 'sidecarBinary'
        ? `running ${change.path} as the local model server`
        : change.kind === 'insecureRemote'
          ? `sending case data over plain http to ${change.address}`
          : `sending case data to ${change.address}`;
    throw new ApiError('forbidden', `The change was not made: ${what} was not confirmed in the app's own dialog.`);
  }
}
