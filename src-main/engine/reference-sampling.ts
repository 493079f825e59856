// Reference decoding for llama.cpp runtimes: greedy with HF's repetition penalty and every other sampler off. Sent with
// every request, so nothing a GGUF carries (general.sampling.*) or a runtime defaults to (llama.node switches XTC on)
// can change it. llama.cpp's penalty divides a positive logit by the penalty and multiplies a negative one, once per
// distinct token in its window, as HF's RepetitionPenaltyLogitsProcessor does; the window is the whole context (-1),
// as HF's is the whole sequence. docs/engine.md ("Reference decoding") lists what still differs.
import type { DecodingSettings } from './profiles/profile';

/** How many top candidates each generated token reports, for the per-level confidence. */
export const TOP_PROBS = 10;

/** @fugood/llama.node completion parameters. */
export function llamaNodeSampling(decoding: DecodingSettings) {
  return {
    temperature: 0,
    top_k: 1,
    top_p: 1,
    min_p: 0,
    typical_p: 1,
    top_n_sigma: -1,
    xtc_probability: 0,
    dry_multiplier: 0,
    mirostat: 0,
    penalty_repeat: decoding.repetitionPenalty,
    penalty_last_n: decoding.contextSize,
    penalty_freq: 0,
    penalty_present: 0,
    seed: 0,
  };
}

/** llama-server request fields (its /completion and /v1/chat/completions accept the same names). */
export function llamaServerSampling(decoding: DecodingSettings): Record<string, number> {
  return {
    temperature: 0,
    top_k: 1,
    top_p: 1,
    min_p: 0,
    typical_p: 1,
    top_n_sigma: -1,
    xtc_probability: 0,
    dry_multiplier: 0,
    mirostat: 0,
    repeat_penalty: decoding.repetitionPenalty,
    repeat_last_n: decoding.contextSize,
    presence_penalty: 0,
    frequency_penalty: 0,
    seed: 0,
  };
}

/** Other OpenAI-compatible servers (vLLM): greedy by temperature 0; vLLM's repetition_penalty is HF's. */
export function openAiSampling(decoding: DecodingSettings): Record<string, number> {
  return {
    temperature: 0,
    top_p: 1,
    min_p: 0,
    presence_penalty: 0,
    frequency_penalty: 0,
    repetition_penalty: decoding.repetitionPenalty,
    seed: 0,
  };
}
