// ipcMain.handle rejections reach the renderer as a bare "Error invoking remote method …" string with the
// class and code stripped, so handlers answer with an envelope and the preload re-throws {code, message}.
import type { ApiErrorShape } from '../api/contract';

export type IpcEnvelope<T> = { ok: true; value: T } | { ok: false; error: ApiErrorShape };

export const SHELL_CHANNELS = {
  pickFile: 'shell.pickFile',
  menuCommand: 'shell.menuCommand',
} as const;

export function toErrorShape(error: unknown): ApiErrorShape {
  if (error && typeof error === 'object') {
    const { code, message } = error as { code?: unknown; message?: unknown };
    return {
      code: typeof code === 'string' ? code : 'internal',
      message: typeof message === 'string' && message ? message : String(error),
    };
  }
  return { code: 'internal', message: String(error) };
}
