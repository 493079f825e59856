// GuardTrace-VL-3B (Qwen2.5-VL-3B fine-tune): the first guard-model profile. Its reference recipe is the published
// evaluation (model card, eval/S-Eval_test_eval.py): HF generate(do_sample=False, max_new_tokens=2000) with the
// base model's generation_config.json, prompts up to 8,192 tokens, qwen-vl-utils' image budget.
import { CATEGORIES, RISK_LABELS, RISK_LEVELS } from '@domain/types';
import { renderQwenChat } from '../chatml';
import type { GuardModelProfile } from '../profile';
import { buildGuardTraceMessages } from './input';
import { STRICT_VERDICT_GBNF, parseVerdict } from './verdict-parser';

/** sha256 of the GuardTrace-VL `qta_pormpt.txt` after a trailing/leading whitespace strip. */
export const GUARDTRACE_PROMPT_SHA256 = '7009c5d248ddecb0a9811f843535658658380e6ab0d2d1b8eed32f2d8a158200';

export const guardTraceVl: GuardModelProfile = {
  id: 'guardtrace-vl',
  displayName: 'GuardTrace-VL',
  prompt: {
    fileName: 'qta_pormpt.txt',
    alsoLookIn: ['prompts'],
    sha256: GUARDTRACE_PROMPT_SHA256,
    source: "GuardTrace's prompts/qta_pormpt.txt",
  },
  model: {
    architecture: 'qwen2vl',
    projector: 'qwen2.5vl_merger',
    description: 'GuardTrace-VL-3B is a Qwen2.5-VL fine-tune',
  },
  levels: RISK_LEVELS.map((value) => ({
    value,
    text: String(value),
    label: RISK_LABELS[`${value}`],
    harmful: value !== 0,
  })),
  categories: CATEGORIES,
  recipe: {
    greedy: true,
    // Qwen2.5-VL-Instruct's generation_config.json; HF applies it even with do_sample=False.
    repetitionPenalty: 1.05,
    maxPromptTokens: 8192,
    maxNewTokens: 2000,
    // qwen-vl-utils' defaults, which the reference script uses: 4·28·28 to 16384·28·28 pixels.
    imageMinPixels: 4 * 28 * 28,
    imageMaxPixels: 16384 * 28 * 28,
  },
  strictGrammar: STRICT_VERDICT_GBNF,
  judgmentLabel:
    /judge?ment\s*(?:\*\*|__)?\s*["'“”‘’]?\s*(?:\*\*|__)?\s*[:：]\s*(?:\*\*|__|["'“”‘’]|\[|\(|\s)*(?:level\s*)?/giu,
  buildMessages: buildGuardTraceMessages,
  render: renderQwenChat,
  parse: parseVerdict,
};
