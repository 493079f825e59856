// A stored API key is bound to the server address it was saved for: a request to load the engine with another
// base URL (a compromised window, a typo) gets no key, so the key never reaches a server it was not meant for.
import { checkEndpoint } from '../engine/openai/endpoint-policy';

interface BoundKey {
  baseUrl: string;
  apiKey: string;
}

/** The address as the engine will use it (".../v1", no trailing slash), so spellings of one server compare equal. */
function normalised(baseUrl: string): string {
  try {
    return checkEndpoint(baseUrl, true).baseUrl;
  } catch {
    return baseUrl.trim();
  }
}

/** What is encrypted and stored: the key together with the address it is for. */
export function bindApiKey(apiKey: string, baseUrl: string): string {
  return JSON.stringify({ baseUrl: normalised(baseUrl), apiKey } satisfies BoundKey);
}

/** The key, if it was saved for this address; null otherwise (and for a key stored before keys were bound). */
export function apiKeyFor(stored: string, baseUrl: string): string | null {
  let bound: Partial<BoundKey>;
  try {
    bound = JSON.parse(stored) as Partial<BoundKey>;
  } catch {
    return null; // an unbound key from an older version: the moderator enters it again, now bound
  }
  if (typeof bound.apiKey !== 'string' || typeof bound.baseUrl !== 'string' || !bound.baseUrl) return null;
  return bound.baseUrl === normalised(baseUrl) ? bound.apiKey : null;
}
