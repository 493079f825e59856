// The exact GuardTrace-VL input. Reference: GuardTrace's eval code — system = prompt file .strip(),
// user = [image?] + one text part with the three "Current Task …" lines; Qwen2.5-VL chat template, generation prompt added.
import type { AuditInput } from '../../engine';
import type { ChatContentPart, ChatMessage } from '../chatml';

export const MISSING_IMAGE_TEXT = 'Image missing or unavailable';

export function caseTaskText(c: { query: string; thinking: string; response: string }): string {
  return `Current Task Query: ${c.query}\nCurrent Task Thinking: ${c.thinking}\nCurrent Task Cleaned Response: ${c.response}`;
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
