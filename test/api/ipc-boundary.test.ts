// The handler map as the app window reaches it: every channel's argument is checked by schema before any handler
// runs, and the window's extra rules (no apiKeyEnv, paths only from main-process dialogs or confirmed) hold.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_CHANNELS, type ApiHandlers, type Channel } from '@main/api/contract';
import { createCore, type Core } from '@main/api/core';
import { createHandlers } from '@main/api/handlers';
import { PathGrants, type PathPurpose } from '@main/api/renderer-policy';
import { CHANNEL_SCHEMAS } from '@main/api/schemas';
import { CASE_STATUS_FILTERS, QUEUE_SORTS } from '@domain/cases';
import { ENGINE_SELECTIONS } from '@domain/engine';
import { RECIPE_FILTERS } from '@domain/fidelity';
import { EXPORT_FORMATS, EXPORT_SELECTIONS, IMPORT_FORMATS } from '@domain/io';
import { REVIEW_SOURCES } from '@domain/reviews';
import { tempDir } from '../helpers/temp-dir';

let core: Core;
let local: ApiHandlers;
let window: ApiHandlers;
const grants = new PathGrants();
const confirmations: Array<[PathPurpose, string]> = [];
let confirmAnswer = false;
let casesFile: string;

beforeAll(async () => {
  const dir = tempDir('guardtrace-ipc-');
  core = await createCore({ dataDir: path.join(dir, 'data') });
  local = createHandlers(core);
  window = createHandlers(core, {
    renderer: {
      grants,
      confirm: async (purpose, file) => {
        confirmations.push([purpose, file]);
        return confirmAnswer;
      },
      // The destination dialog is test/security/renderer-boundary.test.ts's subject; here the user says no.
      confirmDestination: async () => false,
    },
  });
  casesFile = path.join(dir, 'cases.jsonl');
  writeFileSync(casesFile, JSON.stringify({ id: 'a', question: 'q', thinking: 't', response: 'r' }) + '\n');
});
afterAll(async () => core?.close());

async function rejection(call: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await call;
  } catch (error) {
    return error as { code: string; message: string };
  }
  throw new Error('expected the call to be rejected');
}

const call = (handlers: ApiHandlers, channel: Channel, arg: unknown) =>
  (handlers[channel] as (a: unknown) => Promise<unknown>)(arg);

describe('IPC input schemas', () => {
  it('cover every channel', () => {
    expect(Object.keys(CHANNEL_SCHEMAS).sort()).toEqual([...API_CHANNELS].sort());
  });

  it.each([
    ['cases.list', { limit: 'all' }, /limit/],
    ['cases.list', { offset: -1 }, /offset/],
    ['cases.list', { sort: 'id; DROP TABLE cases' }, /sort/],
    ['cases.list', { status: 'everything' }, /status/],
    ['cases.list', { search: 'x'.repeat(5000) }, /search/],
    ['cases.counts', { gold: '1' }, /gold/],
    ['cases.get', {}, /id/],
    ['cases.get', null, /argument/],
    ['reviews.submit', { caseId: 'a', risk: 'harmful', reviewer: 'ann' }, /risk/],
    ['reviews.submit', { caseId: 'a', risk: 1, reviewer: '' }, /reviewer/],
    ['reviews.bulkAccept', { caseIds: 'a', reviewer: 'ann' }, /caseIds/],
    ['import.run', { file: 42 }, /file/],
    ['export.run', { format: 'xml', out: '/tmp/x' }, /format/],
    ['engine.load', { openai: { baseUrl: 'http://127.0.0.1', model: 'm', apiKeyEnv: 'A B' } }, /apiKeyEnv/],
    ['audit.start', { parallel: 1000 }, /parallel/],
    ['settings.set', { llamaServerPath: 7 }, /llamaServerPath/],
    ['settings.set', { isAdmin: true }, /argument|isAdmin/],
    ['secrets.setApiKey', {}, /apiKey/],
  ] as Array<[Channel, unknown, RegExp]>)(
    '%s rejects %j with a readable "invalid" error',
    async (channel, arg, field) => {
      for (const handlers of [local, window]) {
        const error = await rejection(call(handlers, channel, arg));
        expect(error.code).toBe('invalid');
        expect(error.message).toMatch(new RegExp(`^Invalid request to ${channel.replace('.', '\\.')}: `));
        expect(error.message).toMatch(field);
        expect(error.message).not.toMatch(/SQLITE|TypeError|undefined is not/);
      }
    },
  );

  it('accepts the well-formed requests the UI sends', async () => {
    await expect(
      call(window, 'cases.list', { status: 'all', sort: 'newest', limit: 100, offset: 0 }),
    ).resolves.toMatchObject({
      total: 0,
    });
    await expect(call(window, 'stats.get', undefined)).resolves.toMatchObject({ cases: 0 });
    await expect(call(window, 'cases.list', { status: 'truncated', sort: 'least_confident' })).resolves.toMatchObject({
      total: 0,
    });
    await expect(call(window, 'metrics.get', { recipe: 'reference' })).resolves.toBeTruthy();
    await expect(call(window, 'metrics.get', undefined)).resolves.toBeTruthy();
  });

  it('accept every value the domain lists allow (a value added there needs no second edit here)', () => {
    const accepts = (channel: Channel, arg: unknown) => {
      const result = CHANNEL_SCHEMAS[channel].safeParse(arg);
      expect(result.success, `${channel} ${JSON.stringify(arg)}`).toBe(true);
    };
    for (const status of CASE_STATUS_FILTERS) accepts('cases.counts', { status });
    for (const sort of QUEUE_SORTS) accepts('cases.list', { sort });
    for (const format of IMPORT_FORMATS) accepts('import.run', { file: '/tmp/x', format });
    for (const format of EXPORT_FORMATS)
      for (const only of EXPORT_SELECTIONS) accepts('export.run', { format, out: '/tmp/x', only });
    for (const source of REVIEW_SOURCES) accepts('reviews.submit', { caseId: 'a', risk: 1, reviewer: 'ann', source });
    for (const engine of ENGINE_SELECTIONS) accepts('engine.load', { engine, profile: 'guardtrace-vl' });
    for (const recipe of RECIPE_FILTERS) accepts('metrics.get', { recipe });
    expect(CHANNEL_SCHEMAS['metrics.get'].safeParse({ recipe: 'best' }).success).toBe(false);
    expect(CHANNEL_SCHEMAS['engine.load'].safeParse({ profile: '' }).success).toBe(false);
  });
});

describe("the app window's extra rules", () => {
  it('refuses apiKeyEnv from the window (it would send any environment variable to a server), allows it locally', async () => {
    const request = { engine: 'openai', openai: { baseUrl: 'http://127.0.0.1:1/v1', model: 'm', apiKeyEnv: 'HOME' } };
    const error = await rejection(call(window, 'engine.load', request));
    expect(error.code).toBe('forbidden');
    expect(error.message).toMatch(/command line only/);
    // The CLI may: the request gets past the checks and fails only at connecting (nothing listens on port 1).
    const state = (await call(local, 'engine.load', request).catch((e: unknown) => e)) as { code?: string };
    expect(state.code).not.toBe('forbidden');
  });

  it('uses a path only when a dialog returned it, or the user confirmed it', async () => {
    confirmAnswer = false;
    const refused = await rejection(call(window, 'import.run', { file: casesFile }));
    expect(refused.code).toBe('forbidden');
    expect(confirmations.at(-1)).toEqual(['import', casesFile]);
    const exe = await rejection(call(window, 'settings.set', { llamaServerPath: '/bin/sh' }));
    expect(exe.code).toBe('forbidden');
    expect((await core.settings()).llamaServerPath).toBeNull();
    expect((await rejection(call(window, 'export.run', { format: 'jsonl', out: '/tmp/anywhere.jsonl' }))).code).toBe(
      'forbidden',
    );

    grants.grant(casesFile, ['import']); // what pickFile does with the import dialog's answer
    await expect(call(window, 'import.run', { file: casesFile })).resolves.toMatchObject({ imported: 1 });

    confirmAnswer = true; // a dropped file, confirmed in the main-process dialog
    const dropped = casesFile.replace(/cases\.jsonl$/, 'dropped.jsonl');
    writeFileSync(dropped, JSON.stringify({ id: 'b', question: 'q2', thinking: 't', response: 'r' }) + '\n');
    await expect(call(window, 'import.run', { file: dropped })).resolves.toMatchObject({ imported: 1 });
    expect(confirmations.at(-1)).toEqual(['import', dropped]);
  });
});

describe('a stored API key', () => {
  it('is handed out only for the server address it was saved for', async () => {
    const { apiKeyFor, bindApiKey } = await import('@main/api/api-key-binding');
    const stored = bindApiKey('sk-secret', 'https://gpu-01.corp:8000');
    expect(apiKeyFor(stored, 'https://gpu-01.corp:8000/v1/')).toBe('sk-secret');
    expect(apiKeyFor(stored, 'https://attacker.example/v1')).toBeNull();
    expect(apiKeyFor(stored, 'http://gpu-01.corp:8000/v1')).toBeNull();
    expect(apiKeyFor('sk-unbound-from-an-older-version', 'https://gpu-01.corp:8000/v1')).toBeNull();
    expect(apiKeyFor(bindApiKey('sk', ''), 'https://gpu-01.corp:8000/v1')).toBeNull();
  });
});
