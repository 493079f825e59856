// The workspace's identity and the keys it trusts (issue 19, item 1), for the CLI: `guardtrace identity show|export`
// and `guardtrace team trust|keys`. Not on the renderer's channels: enrolling a key decides whose decisions are
// accepted, so a window cannot do it (the app's Settings does not show them yet: docs/security.md).
import type { IdentityInfo, TrustedKey } from '@domain/team';
import { trustPublicKeyFile, writePublicKeyFile } from '../io/identity/public-key-file';
import type { Core } from './core';

export async function identityInfo(core: Core): Promise<IdentityInfo> {
  const identity = await core.identity();
  return {
    name: (await core.settings()).reviewer,
    algorithm: identity.algorithm,
    fingerprint: identity.fingerprint,
    publicKey: identity.publicKey,
  };
}

export async function exportIdentity(core: Core, out: string): Promise<IdentityInfo & { out: string }> {
  const info = await identityInfo(core);
  return { ...info, out: writePublicKeyFile(info, out) };
}

export async function trustKey(core: Core, file: string, name: string): Promise<{ key: TrustedKey; added: boolean }> {
  return trustPublicKeyFile(core.store, file, name, (await core.settings()).reviewer);
}

export function trustedKeys(core: Core): Promise<TrustedKey[]> {
  return core.store.packs.trustedKeys();
}
