// Sandboxed preload: exposes exactly one typed object, window.api, and never ipcRenderer itself.
import { contextBridge, ipcRenderer, webUtils } from 'electron';
import {
  API_CHANNELS,
  API_EVENTS,
  type ApiErrorShape,
  type ApiEvents,
  type ArgOf,
  type Channel,
  type EventName,
  type GuardTraceApi,
  type ResultOf,
} from '../api/contract';
import type { MenuCommand } from '@domain/shortcuts';
import { imageUrlFor, isSha256Hex } from '../ipc/image-url';
import { SHELL_CHANNELS, type IpcEnvelope } from '../ipc/ipc-envelope';

const allowedChannels = new Set<string>(API_CHANNELS);
const allowedEvents = new Set<string>(API_EVENTS);

class ApiCallError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ApiCallError';
  }
}

function unwrap<T>(envelope: IpcEnvelope<T>): T {
  if (envelope.ok) return envelope.value;
  const error: ApiErrorShape = envelope.error;
  throw new ApiCallError(error.code, error.message);
}

const api = {
  async invoke<C extends Channel>(channel: C, arg: ArgOf<C>): Promise<ResultOf<C>> {
    if (!allowedChannels.has(channel)) throw new ApiCallError('unknown_channel', `Unknown API channel "${channel}".`);
    return unwrap((await ipcRenderer.invoke(channel, arg)) as IpcEnvelope<ResultOf<C>>);
  },
  on<E extends EventName>(event: E, listener: (payload: ApiEvents[E]) => void): () => void {
    if (!allowedEvents.has(event)) throw new ApiCallError('unknown_event', `Unknown API event "${event}".`);
    // Hand the renderer the payload only, never the IpcRendererEvent (it carries the sender).
    const wrapped = (_event: unknown, payload: ApiEvents[E]) => listener(payload);
    ipcRenderer.on(event, wrapped);
    return () => {
      ipcRenderer.removeListener(event, wrapped);
    };
  },
  imageUrl(sha256: string): string {
    if (!isSha256Hex(sha256)) throw new ApiCallError('bad_hash', `Image hash "${sha256}" is not 64 hex characters.`);
    return imageUrlFor(sha256);
  },
  async pickFile(options: Parameters<GuardTraceApi['pickFile']>[0]) {
    return unwrap((await ipcRenderer.invoke(SHELL_CHANNELS.pickFile, options)) as IpcEnvelope<string | null>);
  },
  platform: process.platform,
  pathForFile(file: File): string | null {
    try {
      return webUtils.getPathForFile(file) || null;
    } catch {
      return null;
    }
  },
  onMenuCommand(listener: (command: MenuCommand) => void): () => void {
    const wrapped = (_event: unknown, command: MenuCommand) => listener(command);
    ipcRenderer.on(SHELL_CHANNELS.menuCommand, wrapped);
    return () => {
      ipcRenderer.removeListener(SHELL_CHANNELS.menuCommand, wrapped);
    };
  },
} satisfies GuardTraceApi;

contextBridge.exposeInMainWorld('api', api);
