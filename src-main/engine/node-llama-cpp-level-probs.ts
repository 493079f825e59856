// p(level) for node-llama-cpp. Its evaluateWithMetadata({probabilities: true}) returns the softmax of the candidates
// its sampler chain leaves (AddonSampler::sample, AddonContext.cpp SampleToken). With temperature 0 and no penalty,
// grammar or top-k that chain is only the greedy selector, which picks the top token without touching the logits:
// the probabilities are then the model's own distribution over the whole vocabulary, as llama-server's (pre-sampling)
// are. The audit itself cannot ask for them (its chain carries the reference repetition penalty and, in strict format,
// the grammar; and a 151,936-entry map for each of up to 2,000 tokens would cost seconds a case). So once the case is
// generated, the engine steps back to the judgment value and evaluates the few tokens from there again, one at a
// time, asking for the distribution before each: about four one-token decodes a case. Having the whole distribution,
// it hands on the top 10 (as the other engines do) plus every token that spells a number or a part of one, so a level
// is never lost below the top 10 and "the number ends here" is summed over all its continuations.
import type { LlamaContextSequence, LlamaModel, Token } from 'node-llama-cpp';
import { TOP_PROBS } from './reference-sampling';
import { judgmentValueStart, levelProbabilities, type LevelProbsResult, type TokenStep } from './profiles/level-probs';
import type { GuardModelProfile } from './profiles/profile';

/** Positions read from the value's first token on: "0" "." "5" and the token after (does the number end?). */
const VALUE_WINDOW = 4;

export async function nodeLlamaCppLevelProbs(args: {
  sequence: LlamaContextSequence;
  model: LlamaModel;
  profile: GuardModelProfile;
  promptTokens: readonly Token[];
  generated: readonly Token[];
  /** The end-of-generation token the model wrote, if it stopped on one: the step after a final "0" needs it. */
  endToken: Token | null;
  /** The vocabulary's number tokens, found once per model (numberTokensOf) and kept by the engine. */
  numberTokens: NumberTokens;
}): Promise<LevelProbsResult> {
  const { sequence, model, profile, promptTokens, generated, endToken, numberTokens } = args;
  if (generated.length === 0) return { levelProbs: null, note: 'the model generated nothing' };
  const texts = generated.map((token) => model.detokenize([token]));
  const located = judgmentValueStart(profile, texts);
  if (located.first === null) return { levelProbs: null, note: located.note };

  const all = [...promptTokens, ...generated, ...(endToken !== null ? [endToken] : [])];
  const valueAt = promptTokens.length + located.first;
  const window = Math.min(VALUE_WINDOW, all.length - valueAt);
  // Back to the token before the value; its KV is evaluated again so that its logits (the value's distribution) exist.
  await sequence.eraseContextTokenRanges([{ start: valueAt - 1, end: sequence.nextTokenIndex }]);
  const steps: TokenStep[] = [...texts, ...(endToken !== null ? [''] : [])].map((text) => ({ text, top: [] }));
  for (let j = 0; j < window; j++) {
    const iterator = sequence.evaluateWithMetadata(
      [all[valueAt - 1 + j]!],
      { probabilities: true },
      { temperature: 0 },
    );
    let distribution: Map<Token, number> | undefined;
    try {
      const first = await iterator.next();
      distribution = first.done ? undefined : first.value.probabilities;
    } finally {
      // The token it sampled is never fed: the next call feeds the one the audit generated at that position.
      await iterator.return(undefined);
    }
    if (!distribution) break;
    steps[located.first + j]!.top = candidates(distribution, model, numberTokens);
  }
  return levelProbabilities(profile, steps);
}

/** Tokens whose text starts with a digit or "." (after spaces): the pieces a level value is written with. */
export interface NumberTokens {
  texts: Map<Token, string> | null;
}

const NUMBER_PIECE = /^\s*[.\d]/;

/** The TOP_PROBS most likely tokens and every number token, as texts. */
function candidates(distribution: Map<Token, number>, model: LlamaModel, numberTokens: NumberTokens): TokenStep['top'] {
  if (!numberTokens.texts) {
    // Once per model: the distribution holds the whole vocabulary.
    const texts = new Map<Token, string>();
    for (const token of distribution.keys()) {
      const text = model.detokenize([token]);
      if (NUMBER_PIECE.test(text)) texts.set(token, text);
    }
    numberTokens.texts = texts;
  }
  const top = topCandidates(distribution, model);
  const listed = new Set(top.map((c) => c.token));
  for (const [token, text] of numberTokens.texts) {
    if (listed.has(token)) continue;
    top.push({ token, text, prob: distribution.get(token) ?? 0 });
  }
  return top.map(({ text, prob }) => ({ text, prob }));
}

/** The TOP_PROBS most likely tokens, like the other engines' top_logprobs. */
function topCandidates(
  distribution: Map<Token, number>,
  model: LlamaModel,
): Array<{ token: Token; text: string; prob: number }> {
  const best: Array<[Token, number]> = [];
  for (const entry of distribution) {
    if (best.length === TOP_PROBS && entry[1] <= best[best.length - 1]![1]) continue;
    best.push(entry);
    best.sort((a, b) => b[1] - a[1]);
    if (best.length > TOP_PROBS) best.pop();
  }
  return best.map(([token, prob]) => ({ token, text: model.detokenize([token]), prob }));
}
