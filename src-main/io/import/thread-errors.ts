// An error crossing from an import thread to the thread that waits for it: sent as plain fields, thrown again as the
// same IoError (code and message), so the CLI's exit code and the UI's handling do not depend on the thread.
import { IoError } from '../io-error';
import { PARSER_THREAD_LIMITS } from '../safe-read/limits';

export interface ThreadError {
  type: 'error';
  code: IoError['code'] | null;
  name: string;
  message: string;
}

export function toThreadError(error: unknown): ThreadError {
  return {
    type: 'error',
    code: error instanceof IoError ? error.code : null,
    name: error instanceof Error ? error.name : 'Error',
    message: error instanceof Error ? error.message : String(error),
  };
}

export function fromThreadError(message: ThreadError): Error {
  return message.code
    ? new IoError(message.code, message.message)
    : Object.assign(new Error(message.message), { name: message.name });
}

/** A worker thread's death as the user's error: the heap cap is named, anything else passes through. */
export function threadDied(error: Error, file: string): Error {
  if ((error as NodeJS.ErrnoException).code === 'ERR_WORKER_OUT_OF_MEMORY')
    return new IoError(
      'invalid_file',
      `Reading ${file} needed more memory than a parser thread may use (${PARSER_THREAD_LIMITS.maxOldGenerationSizeMb} MiB); the file was refused. Split it into smaller files.`,
    );
  return error;
}
