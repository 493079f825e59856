// Every sampling field the engine sends llama.node must be one its native binding reads: a misspelt key (typ_p for
// typical_p) is silently ignored and the runtime's default applies instead of the reference's "off". The names are
// read from the binding's own source in the installed package (LlamaContext.cpp, `get_option<T>(options, "name"`).
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_PROFILE } from '@main/engine/profiles';
import { decodingSettings } from '@main/engine/profiles/profile';
import { llamaNodeSampling } from '@main/engine/reference-sampling';

const packageDir = path.dirname(createRequire(import.meta.url).resolve('@fugood/llama.node/package.json'));
const bindingSource = path.join(packageDir, 'src', 'LlamaContext.cpp');
const skipReason = existsSync(bindingSource) ? null : `${bindingSource} is not in the installed package`;
if (skipReason) console.warn(`[test/engine/reference-sampling] SKIPPED: ${skipReason}`);

describe.skipIf(skipReason !== null)('llama.node reference sampling fields', () => {
  it('are all read by the native binding (typical_p, not typ_p)', () => {
    const source = readFileSync(bindingSource, 'utf8');
    const read = new Set([...source.matchAll(/get_option<[\w:]+>\(options, "(\w+)"/g)].map((m) => m[1]));
    expect(read.size).toBeGreaterThan(20);
    const sent = Object.keys(llamaNodeSampling(decodingSettings(DEFAULT_PROFILE, null)));
    expect(sent.filter((key) => !read.has(key))).toEqual([]);
    expect(sent).toContain('typical_p');
  });
});
