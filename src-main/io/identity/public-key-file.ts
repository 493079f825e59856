// The public key file a workspace hands to its teammates (`guardtrace identity export`) and the enrolment of one
// (`guardtrace team trust FILE --as NAME`).
import path from 'node:path';
import { REVIEWER_NAME, type IdentityInfo, type TrustedKey } from '@domain/team';
import type { Store } from '../../store/contract';
import { AtomicFile } from '../export/atomic-file';
import { IoError } from '../io-error';
import { firstIssue } from '../packs/pack-format';
import { openRegularFile } from '../safe-read/open-regular';
import { PUBLIC_KEY_FORMAT, fingerprintOf, publicKeyFileSchema, type PublicKeyFile } from './signing';

/** A public key file is a few hundred bytes; anything much larger is not one. */
const MAX_PUBLIC_KEY_FILE_BYTES = 64 * 1024;

/** Writes the workspace's public key file (no secret in it) to `out`, atomically. */
export function writePublicKeyFile(identity: IdentityInfo, out: string): string {
  if (!out) throw new IoError('usage', 'No output file given (--out FILE).');
  const file: PublicKeyFile = {
    format: PUBLIC_KEY_FORMAT,
    version: 1,
    algorithm: identity.algorithm,
    name: identity.name,
    publicKey: identity.publicKey,
    fingerprint: identity.fingerprint,
  };
  const target = path.resolve(out);
  const writer = new AtomicFile(target);
  try {
    writer.write(JSON.stringify(file, null, 2) + '\n');
    writer.commit();
  } catch (error) {
    writer.abort();
    throw error;
  }
  return target;
}

/** Reads a public key file and checks that its fingerprint is its key's (a file edited by hand is refused). */
export async function readPublicKeyFile(file: string): Promise<PublicKeyFile> {
  const label = path.basename(file);
  const { handle } = await openRegularFile(file, MAX_PUBLIC_KEY_FILE_BYTES, 'public key file');
  let text: string;
  try {
    text = await handle.readFile('utf8');
  } finally {
    await handle.close();
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new IoError(
      'invalid_file',
      `${label} is not valid JSON (${(error as Error).message}); it is not a public key file.`,
    );
  }
  const parsed = publicKeyFileSchema.safeParse(json);
  if (!parsed.success)
    throw new IoError(
      'invalid_file',
      `${label} is not a GuardTrace public key file (${firstIssue(parsed.error)}); make one with: guardtrace identity export --out FILE.`,
    );
  const fingerprint = fingerprintOf(parsed.data.publicKey);
  if (parsed.data.fingerprint !== fingerprint)
    throw new IoError(
      'invalid_file',
      `${label} says its fingerprint is ${parsed.data.fingerprint}, but its key's is ${fingerprint}; the file was changed. Ask for it again.`,
    );
  return parsed.data;
}

/**
 * Enrols the key in `file` under `name`: packs and decisions files it signs are accepted here, their decisions
 * stored under `name`. The caller shows the fingerprint so that it can be compared with its owner's.
 */
export async function trustPublicKeyFile(
  store: Store,
  file: string,
  name: string,
  actor?: string,
): Promise<{ key: TrustedKey; added: boolean }> {
  if (!REVIEWER_NAME.test(name))
    throw new IoError('usage', `--as "${name}": a name is letters, digits, ".", "-" or "_" (up to 64).`);
  const key = await readPublicKeyFile(file);
  return store.packs.trustKey({ name, publicKey: key.publicKey, fingerprint: fingerprintOf(key.publicKey) }, actor);
}
