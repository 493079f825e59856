// Chat rendering shared by the profiles whose model speaks ChatML (Qwen2/2.5-VL and its fine-tunes). A profile picks
// its renderer; engines only ever call the profile.

export type ChatContentPart = { type: 'text'; text: string } | { type: 'image_url'; image_url: { url: string } };
export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string | ChatContentPart[];
}

/** What the Qwen2.5-VL template writes for an image part (HF processor then expands <|image_pad|> to N vision tokens). */
export const QWEN_IMAGE_PLACEHOLDER = '<|vision_start|><|image_pad|><|vision_end|>';
/** libmtmd's marker: it replaces it with <|vision_start|> + the image embeddings + <|vision_end|> for Qwen2/2.5-VL. */
export const MTMD_MEDIA_MARKER = '<__media__>';

const TURN_END = '<|im_end|>\n';
const GENERATION_PROMPT = '<|im_start|>assistant\n';

/**
 * Renders messages exactly as the Qwen2.5-VL Jinja template does (ChatML; image parts become the vision placeholder,
 * text parts are concatenated with nothing in between), with the generation prompt unless told otherwise.
 * Why not let the runtime render the template: llama.cpp's chat layer flattens content-part arrays by joining them
 * with "\n", which puts a newline between the image and "Current Task Query" that the reference input does not have.
 */
export function renderQwenChat(
  messages: ChatMessage[],
  imagePlaceholder: string = QWEN_IMAGE_PLACEHOLDER,
  addGenerationPrompt = true,
): string {
  let out = '';
  if (messages.length > 0 && messages[0].role !== 'system')
    out += '<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n';
  for (const m of messages) {
    out += `<|im_start|>${m.role}\n`;
    if (typeof m.content === 'string') out += m.content;
    else for (const part of m.content) out += part.type === 'image_url' ? imagePlaceholder : part.text;
    out += TURN_END;
  }
  return addGenerationPrompt ? out + GENERATION_PROMPT : out;
}

/** The rendered prompt split at the end of the system turn: the part every case shares, and the per-case rest. */
export function splitSharedPrefix(rendered: string): { shared: string; perCase: string } {
  const end = rendered.indexOf(TURN_END);
  if (end < 0) return { shared: '', perCase: rendered };
  return { shared: rendered.slice(0, end + TURN_END.length), perCase: rendered.slice(end + TURN_END.length) };
}
