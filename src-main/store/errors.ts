/** An error the user can act on; `code` is stable for the UI/CLI, the message says what to do. */
export type StoreErrorCode =
  | 'schema_too_new'
  | 'migration_failed'
  | 'not_found'
  | 'invalid'
  | 'wal_unavailable'
  | 'conflict'
  | 'busy'
  | 'image_unavailable'
  | 'corrupt'
  | 'unsupported';

export class StoreError extends Error {
  constructor(
    readonly code: StoreErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'StoreError';
  }
}
