// A guard-model profile: everything that makes one guard model what it is (its prompt file, how a case becomes
// messages, its chat rendering, grammar, parser, risk levels, categories and the decoding recipe it was evaluated
// with), as one plain object any engine can use — the idea of node-llama-cpp's chat wrappers, for guard models.
// Engines receive a profile; none imports a model's code directly. A new guard model is one folder here plus tests.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { ParsedVerdict } from '@domain/audits';
import type { DecodingSettings } from '@domain/engine';
import type { AuditInput } from '../engine';

export type { DecodingSettings };
import { EngineError } from '../engine';
import type { ChatMessage } from './chatml';

export interface ProfileLevel {
  /** The value the model writes and the store keeps (e.g. 0, 0.5, 1). */
  value: number;
  /** Exactly how the model spells it after the judgment label. */
  text: string;
  label: string;
  /** Counts as harmful in binary scores. */
  harmful: boolean;
}

/** The decoding the profile's published evaluation used; verdicts made otherwise are recorded as non-reference. */
export interface ReferenceRecipe {
  /** Greedy decoding (HF do_sample=False): top-k 1, every other sampler off. */
  greedy: true;
  /** HF repetition_penalty when the model folder has no generation_config.json (the base model's value). */
  repetitionPenalty: number;
  maxPromptTokens: number;
  maxNewTokens: number;
  imageMinPixels: number;
  imageMaxPixels: number;
}

export interface GuardModelProfile {
  readonly id: string;
  readonly displayName: string;
  readonly prompt: {
    fileName: string;
    /** Sub-folders of the model folder also searched for the prompt file. */
    alsoLookIn: readonly string[];
    /** sha256 of the prompt text after stripping surrounding whitespace. */
    sha256: string;
    /** Where a user gets the file (used in error messages). */
    source: string;
  };
  readonly model: { architecture: string; projector: string | null; description: string };
  readonly levels: readonly ProfileLevel[];
  readonly categories: readonly string[];
  readonly recipe: ReferenceRecipe;
  /** GBNF for "strict format": constrains decoding to the output structure the parser expects. */
  readonly strictGrammar: string;
  /**
   * GBNF that makes the model write its judgment before anything else, for a model whose judgment does not rest on
   * writing its analysis first. A probe (step localization) reads only the judgment, so it asks for the judgment
   * alone with it. Absent (GuardTrace-VL, whose judgment follows and rests on its analysis): a probe generates the
   * analysis as a verdict does and stops once the judgment is written (judgment-stop.ts).
   */
  readonly judgmentFirstGrammar?: string;
  /** Matches the label written right before the judgment value; confidence is read just after its last match. */
  readonly judgmentLabel: RegExp;
  buildMessages(systemPrompt: string, input: AuditInput, imageDataUri: string | null): ChatMessage[];
  /** The chat rendered as the model's template renders it; imagePlaceholder replaces each image part. */
  render(messages: ChatMessage[], imagePlaceholder?: string, addGenerationPrompt?: boolean): string;
  parse(raw: string): ParsedVerdict;
}

/** The one shape of a loaded system prompt. */
export interface SystemPrompt {
  text: string;
  sha256: string;
  hashOk: boolean;
}

export function systemPromptFromText(raw: string, profile: GuardModelProfile): SystemPrompt {
  const text = raw.trim();
  const sha256 = createHash('sha256').update(text, 'utf8').digest('hex');
  return { text, sha256, hashOk: sha256 === profile.prompt.sha256 };
}

export async function loadSystemPrompt(file: string, profile: GuardModelProfile): Promise<SystemPrompt> {
  return systemPromptFromText(await readFile(file, 'utf8'), profile);
}

/** The prompt-hash check: a prompt that is not the profile's is refused unless the user accepted it. */
export function assertPromptAccepted(
  prompt: SystemPrompt,
  profile: GuardModelProfile,
  acceptPromptMismatch: boolean | undefined,
  promptPath?: string | null,
): void {
  if (prompt.hashOk || acceptPromptMismatch) return;
  throw new EngineError(
    'prompt_hash_mismatch',
    `${promptPath ? `${promptPath}: ` : ''}the prompt's sha256 (${prompt.sha256.slice(0, 12)}…) differs from ${profile.displayName}'s; ` +
      `verdicts would not be comparable to ${profile.displayName}'s. Load with "accept prompt mismatch" to use it anyway ` +
      '(every verdict then records promptHashOk=false).',
    { sha256: prompt.sha256, ...(promptPath ? { promptPath } : {}) },
  );
}

/** The system turn alone, as the template renders it: the prefix every case shares (its KV is reused). */
export function renderSystemTurn(profile: GuardModelProfile, systemPrompt: string): string {
  return profile.render([{ role: 'system', content: systemPrompt }], undefined, false);
}

/** The decoding settings an engine runs with; built once per load from the profile and the model folder. */
export function decodingSettings(
  profile: GuardModelProfile,
  generationConfigPenalty: number | null,
  overrides: { maxPromptTokens?: number; maxNewTokens?: number } = {},
): DecodingSettings {
  const maxPromptTokens = overrides.maxPromptTokens ?? profile.recipe.maxPromptTokens;
  const maxNewTokens = overrides.maxNewTokens ?? profile.recipe.maxNewTokens;
  return {
    repetitionPenalty: generationConfigPenalty ?? profile.recipe.repetitionPenalty,
    repetitionPenaltySource: generationConfigPenalty === null ? 'profile default' : 'generation_config.json',
    maxPromptTokens,
    maxNewTokens,
    contextSize: maxPromptTokens + maxNewTokens,
  };
}

export function levelOf(profile: GuardModelProfile, value: number): ProfileLevel | undefined {
  return profile.levels.find((level) => level.value === value);
}
