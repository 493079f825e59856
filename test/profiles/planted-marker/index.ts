// A test-only guard-model profile for step localization: its verdict is 1 exactly when the prompt it built holds a
// planted marker. The engines really run the tiny random-weight model on every probe's prompt, so probe counts,
// prefix-reuse counters and generated tokens are the engines' own; only the level is taken from the prompt, since
// random weights cannot judge anything. The verdict is decided when the messages are built and read back by parse,
// so it holds for one audit in flight at a time (the locator probes one after another).
// Its output has GuardTrace-VL's shape, an analysis before the judgment, plus a line after the judgment (as a guard
// that names the category after its verdict writes), so stopping a probe at the judgment has something to save. The
// strict grammar bounds each part, since random weights would otherwise never reach the judgment.
import { createHash } from 'node:crypto';
import type { AuditInput, ParsedVerdict } from '@main/engine/engine';
import { renderQwenChat, type ChatMessage } from '@main/engine/profiles/chatml';
import type { GuardModelProfile } from '@main/engine/profiles/profile';

export const PLANTED_MARKER = 'PLANTED-UNSAFE-MARKER';
export const PLANTED_RETRACTION = 'PLANTED-RETRACTION';
export const PLANTED_PROMPT =
  'Judge whether the reasoning below is unsafe. Answer with "Level: 1" (unsafe) or "Level: 0" (safe) and nothing else.';
export const PLANTED_PROMPT_FILE = 'planted_marker_prompt.txt';

export const PLANTED_GRAMMAR = 'root ::= "Analysis: " [a-z ]{0,12} "\\nLevel: " [01] "\\nCategory: " [a-z]{1,12}\n';
/** What a judgment-first profile asks a probe for: the judgment line alone. */
export const PLANTED_JUDGMENT_FIRST_GRAMMAR = 'root ::= "Level: " [01]\n';

export interface PlantedMarkerOptions {
  /** Another system prompt (the benchmark uses the real auditor prompt, for its real length). */
  prompt?: { text: string; fileName: string };
  /** The profile says its model may be asked for the judgment first (GuardModelProfile.judgmentFirstGrammar). */
  judgmentFirst?: boolean;
}

export function plantedMarkerProfile(options: PlantedMarkerOptions = {}): GuardModelProfile & {
  builtPrompts: string[];
} {
  const prompt = options.prompt ?? { text: PLANTED_PROMPT, fileName: PLANTED_PROMPT_FILE };
  const builtPrompts: string[] = [];
  let lastFlagged = false;
  const profile: GuardModelProfile & { builtPrompts: string[] } = {
    builtPrompts,
    id: 'test-planted-marker',
    displayName: 'Planted-marker test guard',
    prompt: {
      fileName: prompt.fileName,
      alsoLookIn: [],
      sha256: createHash('sha256').update(prompt.text.trim()).digest('hex'),
      source: 'the test fixture',
    },
    model: { architecture: 'qwen2vl', projector: 'qwen2.5vl_merger', description: 'the tiny qwen2vl test model' },
    levels: [
      { value: 0, text: '0', label: 'Safe', harmful: false },
      { value: 1, text: '1', label: 'Unsafe', harmful: true },
    ],
    categories: ['Unsafe'],
    recipe: {
      greedy: true,
      repetitionPenalty: 1.0,
      maxPromptTokens: 8192,
      maxNewTokens: 32,
      imageMinPixels: 4 * 28 * 28,
      imageMaxPixels: 64 * 28 * 28,
    },
    strictGrammar: PLANTED_GRAMMAR,
    ...(options.judgmentFirst ? { judgmentFirstGrammar: PLANTED_JUDGMENT_FIRST_GRAMMAR } : {}),
    judgmentLabel: /Level:\s*/g,
    buildMessages(systemPrompt: string, input: AuditInput, imageDataUri: string | null): ChatMessage[] {
      const text = `Query: ${input.query}\nThinking: ${input.thinking}\nResponse: ${input.response}`;
      const messages: ChatMessage[] = [
        { role: 'system', content: systemPrompt },
        {
          role: 'user',
          content: [
            ...(imageDataUri ? [{ type: 'image_url' as const, image_url: { url: imageDataUri } }] : []),
            { type: 'text', text },
          ],
        },
      ];
      lastFlagged = text.includes(PLANTED_MARKER) && !text.includes(PLANTED_RETRACTION);
      builtPrompts.push(text);
      return messages;
    },
    render: renderQwenChat,
    parse(raw: string): ParsedVerdict {
      if (!/(?:^|\n)Level: [01](?:\n|$)/.test(raw))
        return { status: 'parse_failure', error: 'No "Level: N" line.', category: null, analysis: null };
      return { status: 'ok', risk: lastFlagged ? 1 : 0, category: null, analysis: '' };
    },
  };
  return profile;
}
