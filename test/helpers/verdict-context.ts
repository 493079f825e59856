// A VerdictContext for engines built directly in tests (no model folder): the given profile and prompt text, the
// profile's reference decoding, no file hashes.
import { verdictContext, type VerdictContext } from '@main/engine/audit-common';
import { DEFAULT_PROFILE } from '@main/engine/profiles';
import {
  decodingSettings,
  systemPromptFromText,
  type GuardModelProfile,
  type SystemPrompt,
} from '@main/engine/profiles/profile';

export function testVerdictContext(
  prompt: SystemPrompt | string = 'You are a test auditor.',
  profile: GuardModelProfile = DEFAULT_PROFILE,
  imageMaxPixels = profile.recipe.imageMaxPixels,
): VerdictContext {
  return verdictContext({
    profile,
    prompt: typeof prompt === 'string' ? systemPromptFromText(prompt, profile) : prompt,
    decoding: decodingSettings(profile, null),
    modelSha256: null,
    mmprojSha256: null,
    imageMaxPixels,
  });
}
