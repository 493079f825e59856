import { EngineError } from '../engine/engine';
import { StoreError } from '../store/contract';
import type { ApiErrorShape } from './contract';

/**
 * The one error type that crosses the contract boundary. `code` is stable (the CLI maps 'usage'/'config'
 * to exit 2), `message` is written for the moderator: what went wrong, on which file/record/field, what to do.
 */
export class ApiError extends Error implements ApiErrorShape {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  toJSON(): ApiErrorShape {
    return { code: this.code, message: this.message };
  }
}

/** Maps any thrown value to an ApiError, keeping the codes of the core's own error types. */
export function toApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  if (error instanceof StoreError || error instanceof EngineError) return new ApiError(error.code, error.message);
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return new ApiError(typeof code === 'string' ? code : 'internal', error.message);
  }
  return new ApiError('internal', String(error));
}
