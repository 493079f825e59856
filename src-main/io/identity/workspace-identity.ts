// The workspace's own Ed25519 key pair: made on first use, kept by an injectable key storage (CoreOptions.identityKeys).
// The CLI and the core default to a 0600 file in the data folder; the Electron main process may pass storage backed
// by safeStorage instead (not wired yet: docs/security.md).
import { randomBytes, createPrivateKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import {
  closeSync,
  constants,
  fsyncSync,
  linkSync,
  lstatSync,
  openSync,
  readFileSync,
  unlinkSync,
  writeSync,
  chmodSync,
} from 'node:fs';
import path from 'node:path';
import { ensureOwnerOnlyFolder, OWNER_ONLY_FILE } from '../../platform/owner-only';
import { IoError } from '../io-error';
import { signerOf, type Signer } from './signing';

/** Where the private key lives. `read` gives the PKCS#8 PEM or null; `create` stores a new one unless one exists. */
export interface IdentityKeyStorage {
  /** For messages: where the key is kept ("…/keys/identity-ed25519.pem", "the system keychain"). */
  readonly where: string;
  read(): Promise<string | null>;
  /** Stores `pem` if no key is stored yet and returns the key now stored (another process may have won the race). */
  create(pem: string): Promise<string>;
}

export const KEY_FOLDER = 'keys';
export const PRIVATE_KEY_FILE = 'identity-ed25519.pem';

/**
 * The private key as a file in the data folder: <dataDir>/keys/identity-ed25519.pem, the folder 0700, the file
 * 0600 from its creation (written under a temp name opened O_EXCL with mode 0600, fsynced, then hard-linked into
 * place, which fails rather than replaces when another process made the key first). A key file that others can
 * read is narrowed to 0600 when read; a link or anything other than a regular file is refused.
 */
export function fileKeyStorage(dataDir: string): IdentityKeyStorage {
  const folder = path.join(dataDir, KEY_FOLDER);
  const file = path.join(folder, PRIVATE_KEY_FILE);
  const read = async (): Promise<string | null> => {
    let stat;
    try {
      stat = lstatSync(file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
    if (!stat.isFile())
      throw new IoError('io', `${file} is not a regular file (a link or a folder); move it away and try again.`);
    if (process.platform !== 'win32' && (stat.mode & 0o077) !== 0) chmodSync(file, OWNER_ONLY_FILE);
    const fd = openSync(file, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0));
    try {
      return readFileSync(fd, 'utf8');
    } finally {
      closeSync(fd);
    }
  };
  return {
    where: file,
    read,
    async create(pem) {
      ensureOwnerOnlyFolder(folder);
      const temp = path.join(folder, `.${PRIVATE_KEY_FILE}.${randomBytes(6).toString('hex')}.tmp`);
      const fd = openSync(temp, 'wx', OWNER_ONLY_FILE);
      try {
        writeSync(fd, pem);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      try {
        linkSync(temp, file);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      } finally {
        unlinkSync(temp);
      }
      return (await read())!;
    },
  };
}

/** This workspace's key pair: signs what it sends; its public key and fingerprint are what others enrol. */
export interface WorkspaceIdentity extends Signer {
  readonly algorithm: 'ed25519';
  /** Where the private key is kept. */
  readonly keyStorage: string;
}

/** Loads the workspace's key, making and storing one on first use. */
export async function loadIdentity(storage: IdentityKeyStorage): Promise<WorkspaceIdentity> {
  let pem = await storage.read();
  if (pem === null) {
    const { privateKey } = generateKeyPairSync('ed25519');
    pem = await storage.create(privateKey.export({ type: 'pkcs8', format: 'pem' }).toString());
  }
  let key: KeyObject;
  try {
    key = createPrivateKey(pem);
  } catch (error) {
    throw new IoError(
      'io',
      `The workspace key at ${storage.where} cannot be read (${(error as Error).message}). Restore it from a backup; a new key would need every teammate to enrol it again.`,
    );
  }
  if (key.asymmetricKeyType !== 'ed25519')
    throw new IoError('io', `The workspace key at ${storage.where} is not an Ed25519 key.`);
  return { ...signerOf(key), algorithm: 'ed25519', keyStorage: storage.where };
}
