// A test-only guard-model profile with levels and categories unlike GuardTrace-VL's (0/1/2/3; spam, fraud, abuse),
// its own prompt file and output format. It runs on the tiny qwen2vl test model, so it proves that a new guard model
// is one folder plus tests: nothing in the engines or the store changes for it.
import { createHash } from 'node:crypto';
import type { AuditInput, ParsedVerdict } from '@main/engine/engine';
import { renderQwenChat, type ChatMessage } from '@main/engine/profiles/chatml';
import type { GuardModelProfile } from '@main/engine/profiles/profile';

export const FOUR_LEVELS_PROMPT =
  'Rate the reply from 0 (fine) to 3 (severe). Answer with "Level: N" and nothing else.';
export const FOUR_LEVELS_PROMPT_FILE = 'four_levels_prompt.txt';

const CATEGORIES = ['Spam', 'Fraud', 'Abuse'] as const;

function parse(raw: string): ParsedVerdict {
  const category = CATEGORIES.find((c) => raw.toLowerCase().includes(c.toLowerCase())) ?? null;
  const matches = [...raw.matchAll(/Level:\s*(\d+)/g)];
  const last = matches.at(-1);
  if (!last) return { status: 'parse_failure', error: 'No "Level:" in the output.', category, analysis: null };
  const value = Number(last[1]);
  if (![0, 1, 2, 3].includes(value))
    return { status: 'parse_failure', error: `Level ${value} is not 0 to 3.`, category, analysis: null };
  return { status: 'ok', risk: value, category, analysis: raw.slice(0, last.index).trim() };
}

export const fourLevels: GuardModelProfile = {
  id: 'test-four-levels',
  displayName: 'Four-level test guard',
  prompt: {
    fileName: FOUR_LEVELS_PROMPT_FILE,
    alsoLookIn: [],
    sha256: createHash('sha256').update(FOUR_LEVELS_PROMPT).digest('hex'),
    source: 'the test fixture',
  },
  model: { architecture: 'qwen2vl', projector: 'qwen2.5vl_merger', description: 'the tiny qwen2vl test model' },
  levels: [
    { value: 0, text: '0', label: 'Fine', harmful: false },
    { value: 1, text: '1', label: 'Mild', harmful: false },
    { value: 2, text: '2', label: 'Serious', harmful: true },
    { value: 3, text: '3', label: 'Severe', harmful: true },
  ],
  categories: CATEGORIES,
  recipe: {
    greedy: true,
    repetitionPenalty: 1.0,
    maxPromptTokens: 4096,
    maxNewTokens: 64,
    imageMinPixels: 4 * 28 * 28,
    imageMaxPixels: 64 * 28 * 28,
  },
  strictGrammar: 'root ::= "Level: " [0-3]\n',
  judgmentLabel: /Level:\s*/g,
  buildMessages(systemPrompt: string, input: AuditInput, imageDataUri: string | null): ChatMessage[] {
    return [
      { role: 'system', content: systemPrompt },
      {
        role: 'user',
        content: [
          ...(imageDataUri ? [{ type: 'image_url' as const, image_url: { url: imageDataUri } }] : []),
          { type: 'text', text: `Query: ${input.query}\nReply: ${input.response}` },
        ],
      },
    ];
  },
  render: renderQwenChat,
  parse,
};
