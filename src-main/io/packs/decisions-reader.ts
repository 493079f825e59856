import path from 'node:path';
import type { DecisionsFile } from '@domain/team';
import { IoError } from '../io-error';
import { JsonSplitter, JsonStructureError } from '../safe-read/json-splitter';
import { MAX_DECISIONS, MAX_DECISION_RECORD_BYTES, mib } from '../safe-read/limits';
import { openRegularFile } from '../safe-read/open-regular';
import { verifyDigest } from '../identity/signing';
import { decisionsChecksum, decisionsFileSchema, firstIssue } from './pack-format';

/** Decisions files above this size are refused unread (a pack of 100k cases with long notes stays far below). */
export const MAX_DECISIONS_FILE_BYTES = 256 * 1024 * 1024;

/**
 * Reads a decisions file as a stream (one decision's text at a time, each at most MAX_DECISION_RECORD_BYTES, at
 * most MAX_DECISIONS of them), from the one descriptor it opened, and checks its format, checksum and that its
 * signature verifies (by whichever key: whether the key is trusted, and whose it is, is importDecisions'). Nothing about
 * the store: that is importDecisions' part. Runs on a bounded thread in the app and the CLI (team-file-reader.ts).
 */
export async function readDecisionsFile(file: string): Promise<DecisionsFile> {
  const label = path.basename(file);
  const { handle, size } = await openRegularFile(file, MAX_DECISIONS_FILE_BYTES, 'decisions file a reviewer exported');
  const splitter = new JsonSplitter({
    top: 'object',
    streamKey: 'decisions',
    maxPieceBytes: MAX_DECISION_RECORD_BYTES,
  });
  const body: Record<string, unknown> = {};
  const decisions: unknown[] = [];
  const notJson = (why: string) =>
    new IoError('invalid_file', `${label} is not valid JSON (${why}); it is not a decisions file or it was cut short.`);
  try {
    if (size > 0)
      for await (const chunk of handle.createReadStream({
        start: 0,
        end: size - 1,
        autoClose: false,
      }) as AsyncIterable<Buffer>) {
        for (const piece of splitter.push(chunk)) {
          const where = piece.index >= 0 ? `decision ${piece.index + 1}` : `the field "${piece.key}"`;
          if (piece.text === null)
            throw new IoError(
              'invalid_file',
              `${label}: ${where} is ${mib(piece.bytes)}, more than one may be (${mib(MAX_DECISION_RECORD_BYTES)}); the file was refused.`,
            );
          let value: unknown;
          try {
            value = JSON.parse(piece.text);
          } catch (error) {
            throw notJson(`${where}: ${(error as Error).message}`);
          }
          if (piece.index < 0) body[piece.key!] = value;
          else if (piece.key === 'decisions') {
            if (decisions.length >= MAX_DECISIONS)
              throw new IoError(
                'invalid_file',
                `${label} holds more than ${MAX_DECISIONS.toLocaleString('en')} decisions; the file was refused.`,
              );
            decisions.push(value);
          }
        }
      }
    splitter.end();
  } catch (error) {
    if (error instanceof JsonStructureError) throw notJson(error.message);
    throw error;
  } finally {
    await handle.close();
  }
  // A `decisions` that is not an array was captured as a plain member; the schema names it.
  if (!('decisions' in body)) body.decisions = decisions;
  const parsed = decisionsFileSchema.safeParse(body);
  if (!parsed.success)
    throw new IoError(
      'invalid_file',
      `${label} is not a valid GuardTrace decisions file (${firstIssue(parsed.error)}).`,
    );
  const { checksum, signature, ...rest } = parsed.data;
  if (decisionsChecksum(rest) !== checksum)
    throw new IoError(
      'invalid_file',
      `${label} was changed after it was exported: its checksum does not match its content. Ask the reviewer to export it again.`,
    );
  if (!signature)
    throw new IoError(
      'invalid_file',
      `${label} is not signed, so who made its decisions cannot be told; the file was refused. Ask the reviewer to export it again with this version.`,
    );
  if (!verifyDigest(signature, 'decisions', checksum))
    throw new IoError(
      'invalid_file',
      `${label}: the signature does not match the file's content: it was changed after it was signed, or the signature was copied from another file. The file was refused.`,
    );
  return parsed.data;
}
