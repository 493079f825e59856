// The model converter as the front ends reach it (the CLI's `guardtrace model convert`, and the window through a
// channel): the work is in engine/hf-convert/; this file is the API layer's one door to it.
export {
  convertHuggingFaceFolder,
  CONVERSION_RECORD,
  type ConvertOptions,
  type ConvertProgress,
  type ConvertResult,
} from '../engine/hf-convert/convert';
export { ConvertError } from '../engine/hf-convert/convert-error';
