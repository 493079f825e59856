/**
 * A whole-file problem (missing file, unreadable JSON, wrong columns, bad export request). Record-level
 * problems never throw: they become RecordErrors in the summary. `code` follows the ApiError convention:
 * 'usage' and 'config' are the caller's to fix (the CLI exits 2), 'invalid_file' means the input is broken.
 */
export class IoError extends Error {
  constructor(
    readonly code: 'usage' | 'config' | 'invalid_file' | 'io',
    message: string,
  ) {
    super(message);
    this.name = 'IoError';
  }
}
