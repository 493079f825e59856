// One error type for the converter: every message names the file (and tensor or key) and says what to do.

export type ConvertErrorCode =
  /** The folder is not a convertible Qwen2.5-VL checkpoint, or one of its files is broken. */
  | 'invalid_checkpoint'
  /** The output folder or the command's options are wrong (exists already, bad type, no llama-quantize). */
  | 'invalid_output'
  /** Not enough free space where the output goes, or the disk filled up while writing. */
  | 'disk_full'
  | 'cancelled';

export class ConvertError extends Error {
  constructor(
    readonly code: ConvertErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'ConvertError';
  }
}
