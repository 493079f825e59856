// The exact GuardTrace-VL input. Reference: GuardTrace's eval code — system = prompt file .strip(),
// user = [image?] + one text part with the three "Current Task …" lines; Qwen2.5-VL chat template, generation prompt added.
import type { AuditInput } from './engine';

export const MISSING_IMAGE_TEXT = 'Image missing or unavailable';

/** What the Qwen2.5-VL template writes for an image part (HF processor then expands <|image_pad|> to N vision tokens). */
export const QWEN_IMAGE_PLACEHOLDER = '<|vision_start|><|image_pad|><|vision_end|>';
/** libmtmd's marker: it replaces it with <|vision_start|> + the image embeddings + <|vision_end|> for Qwen2/2.5-VL. */
export const MTMD_MEDIA_MARKER = '<__media__>';

export function caseTaskText(c: { query: string; thinking: string; response: string }): string {
  return `Current Task Query: ${c.query}\nCurrent Task Thinking: ${c.thinking}\nCurrent Task Cleaned Response: ${c.response}`;
}

export type ChatContentPart = { type: 'text'; text: string } | { type: 'image_url'; image_url: { url: string } };
export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string | ChatContentPart[];
}

/** imageDataUri: the prepared image as a data: URI, or null (then imageMissing decides whether MISSING_IMAGE_TEXT is added). */
export function buildGuardTraceMessages(
  systemPrompt: string,
  input: AuditInput,
  imageDataUri: string | null,
): ChatMessage[] {
  const user: ChatContentPart[] = [];
  if (imageDataUri !== null) user.push({ type: 'image_url', image_url: { url: imageDataUri } });
  else if (input.imageMissing) user.push({ type: 'text', text: MISSING_IMAGE_TEXT });
  user.push({ type: 'text', text: caseTaskText(input) });
  return [
    { role: 'system', content: systemPrompt },
    { role: 'user', content: user },
  ];
}

/**
 * Renders messages exactly as the Qwen2.5-VL Jinja template does (ChatML; image parts become the vision placeholder,
 * text parts are concatenated with nothing in between), with the generation prompt.
 * Why not let the runtime render the template: llama.cpp's chat layer flattens content-part arrays by joining them
 * with "\n", which puts a newline between the image and "Current Task Query" that the reference input does not have.
 */
export function renderQwenChat(messages: ChatMessage[], imagePlaceholder: string = QWEN_IMAGE_PLACEHOLDER): string {
  let out = '';
  if (messages.length > 0 && messages[0].role !== 'system')
    out += '<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n';
  for (const m of messages) {
    out += `<|im_start|>${m.role}\n`;
    if (typeof m.content === 'string') out += m.content;
    else for (const part of m.content) out += part.type === 'image_url' ? imagePlaceholder : part.text;
    out += '<|im_end|>\n';
  }
  return out + '<|im_start|>assistant\n';
}

/** The rendered prompt split at the end of the system turn: the part every case shares, and the per-case rest. */
export function splitSharedPrefix(rendered: string): { shared: string; perCase: string } {
  const marker = '<|im_end|>\n';
  const end = rendered.indexOf(marker);
  if (end < 0) return { shared: '', perCase: rendered };
  return { shared: rendered.slice(0, end + marker.length), perCase: rendered.slice(end + marker.length) };
}
