// Ed25519 signatures for what travels between workstations (packs, decisions files) and the keys that make them.
// Pure node:crypto and zod, nothing about files or the store: the pack reader thread verifies with it too.
import { createHash, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import { z } from 'zod';

export const SIGNATURE_ALGORITHM = 'ed25519';

/** A public key as it travels: the raw 32-byte Ed25519 key in base64. */
const publicKeyText = z
  .string()
  .regex(/^[A-Za-z0-9+/]{43}=$/, 'an Ed25519 public key (32 bytes in base64)')
  .refine((text) => Buffer.from(text, 'base64').length === 32, 'an Ed25519 public key (32 bytes in base64)');

/** What a signed pack (signature.json) or decisions file (its `signature` member) carries. */
export const signatureSchema = z.strictObject({
  algorithm: z.literal(SIGNATURE_ALGORITHM),
  publicKey: publicKeyText,
  signature: z.string().regex(/^[A-Za-z0-9+/]{86}==$/, 'an Ed25519 signature (64 bytes in base64)'),
});
export type FileSignature = z.infer<typeof signatureSchema>;

/** Anything that can sign with the workspace's private key (WorkspaceIdentity; tests' fixtures). */
export interface Signer {
  readonly publicKey: string;
  readonly fingerprint: string;
  /** The raw Ed25519 signature of `message`, in base64. */
  signRaw(message: Buffer): string;
}

/**
 * The short fingerprint people compare by phone or in person: the first 16 hex digits of the sha256 of the raw
 * public key, in groups of four ("3f2a 9c01 77be 4d10"). 64 bits: enough to notice a substituted key when compared.
 */
export function fingerprintOf(publicKey: string): string {
  const hex = createHash('sha256').update(Buffer.from(publicKey, 'base64')).digest('hex').slice(0, 16);
  return hex.match(/.{4}/g)!.join(' ');
}

/** The raw public key (base64) of an Ed25519 KeyObject, public or private. */
export function rawPublicKey(key: KeyObject): string {
  const jwk = createPublicKey(key).export({ format: 'jwk' });
  return Buffer.from(jwk.x!, 'base64url').toString('base64');
}

function publicKeyObject(publicKey: string): KeyObject {
  return createPublicKey({
    key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(publicKey, 'base64').toString('base64url') },
    format: 'jwk',
  });
}

/**
 * What is signed: a fixed label naming the kind of file, the digest that covers its whole content (a pack's
 * manifest sha256, which lists the sha256 of every other entry; a decisions file's checksum of its canonical body)
 * and the signer's public key. The label keeps a signature made for one kind of file from passing for the other.
 */
export function signedMessage(kind: 'pack' | 'decisions', digest: string, publicKey: string): Buffer {
  return Buffer.from(`guardtrace-${kind}-signature-v1\n${digest}\n${publicKey}\n`, 'utf8');
}

export function signDigest(signer: Signer, kind: 'pack' | 'decisions', digest: string): FileSignature {
  return {
    algorithm: SIGNATURE_ALGORITHM,
    publicKey: signer.publicKey,
    signature: signer.signRaw(signedMessage(kind, digest, signer.publicKey)),
  };
}

/** True when `signature` is a valid Ed25519 signature by its own public key over this kind of file's digest. */
export function verifyDigest(signature: FileSignature, kind: 'pack' | 'decisions', digest: string): boolean {
  try {
    return verify(
      null,
      signedMessage(kind, digest, signature.publicKey),
      publicKeyObject(signature.publicKey),
      Buffer.from(signature.signature, 'base64'),
    );
  } catch {
    return false;
  }
}

/** A Signer over a private KeyObject (Ed25519). */
export function signerOf(privateKey: KeyObject): Signer {
  const publicKey = rawPublicKey(privateKey);
  return {
    publicKey,
    fingerprint: fingerprintOf(publicKey),
    signRaw: (message) => sign(null, message, privateKey).toString('base64'),
  };
}

/** The public key file `guardtrace identity export` writes and `guardtrace team trust` reads. */
export const PUBLIC_KEY_FORMAT = 'guardtrace-public-key';
export const publicKeyFileSchema = z.strictObject({
  format: z.literal(PUBLIC_KEY_FORMAT),
  version: z.literal(1),
  algorithm: z.literal(SIGNATURE_ALGORITHM),
  /** Who the workspace says it is; a hint only: `team trust --as NAME` decides the enrolled name. */
  name: z.string().max(200),
  publicKey: publicKeyText,
  fingerprint: z.string(),
});
export type PublicKeyFile = z.infer<typeof publicKeyFileSchema>;
