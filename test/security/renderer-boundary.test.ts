// Item 4 of issue 19: the window cannot choose where data goes. Every channel that could move case data off the
// machine (or run a program that receives it), driven as a compromised window would drive it, is refused unless the
// user said yes in the main process's own dialog (here: the injected confirm functions, answering no, then yes).
// File grants serve only the purpose of the dialog that gave them; pickFile options are schema-checked.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiHandlers, Channel } from '@main/api/contract';
import { createCore, type Core } from '@main/api/core';
import type { DestinationChange } from '@main/api/destination-policy';
import { GRANTED_FOR, parsePickFileOptions } from '@main/api/file-dialogs';
import { createHandlers } from '@main/api/handlers';
import { PathGrants, type PathPurpose } from '@main/api/renderer-policy';
import { newCase } from '../helpers/store-fixtures';
import { addCases } from '../store-contract/seed';
import { tempDir } from '../helpers/temp-dir';

let core: Core;
let window: ApiHandlers;
let dir: string;
const grants = new PathGrants();
const asked: DestinationChange[] = [];
const pathsAsked: Array<[PathPurpose, string]> = [];
let userSays = false;

beforeAll(async () => {
  dir = tempDir('guardtrace-window-');
  core = await createCore({ dataDir: path.join(dir, 'data') });
  await addCases(core.store, [newCase('secret-case')]);
  window = createHandlers(core, {
    renderer: {
      grants,
      confirm: async (purpose, file) => {
        pathsAsked.push([purpose, file]);
        return false; // a path no dialog returned: the user does not confirm it
      },
      confirmDestination: async (change) => {
        asked.push(change);
        return userSays;
      },
    },
  });
});
afterAll(async () => core?.close());

const call = (channel: Channel, arg: unknown) => (window[channel] as (a: unknown) => Promise<unknown>)(arg);
async function refused(channel: Channel, arg: unknown): Promise<string> {
  const error = (await call(channel, arg).then(
    () => null,
    (e: unknown) => e,
  )) as { code?: string; message?: string } | null;
  expect(error, `${channel} was not refused`).not.toBeNull();
  expect(error!.code).toBe('forbidden');
  return error!.message!;
}

describe('a compromised window', () => {
  it('cannot point the engine at a server of its choosing: settings.set and engine.load need the main dialog', async () => {
    userSays = false;
    const evil = 'https://collector.example/v1';
    expect(
      await refused('settings.set', { openai: { baseUrl: evil, model: 'm', allowInsecureRemote: false } }),
    ).toMatch(/sending case data to https:\/\/collector\.example\/v1 was not confirmed in the app's own dialog/);
    expect(asked.at(-1)).toEqual({ kind: 'serverAddress', address: evil });
    expect((await core.settings()).openai).toBeNull();
    // engine.load is refused before it connects anywhere (nothing would be listening; the error is the policy's).
    await refused('engine.load', { engine: 'openai', openai: { baseUrl: evil, model: 'm' } });
    expect(asked.at(-1)).toEqual({ kind: 'serverAddress', address: evil });
  });

  it('cannot allow plain http to a remote host, nor swap the llama-server program', async () => {
    userSays = false;
    const plain = 'http://203.0.113.7:8000/v1';
    await refused('settings.set', { openai: { baseUrl: plain, model: 'm', allowInsecureRemote: true } });
    expect(asked.at(-1)).toMatchObject({ kind: 'serverAddress', address: plain });
    const program = path.join(dir, 'evil-server');
    writeFileSync(program, '#!/bin/sh\n');
    expect(await refused('settings.set', { llamaServerPath: program })).toMatch(
      /running .*evil-server as the local model server was not confirmed/,
    );
    expect(asked.at(-1)).toEqual({ kind: 'sidecarBinary', path: program });
    expect((await core.settings()).llamaServerPath).toBeNull();
  });

  it('cannot write case data to a path no dialog gave it: export, packs, decisions', async () => {
    for (const [channel, arg] of [
      ['export.run', { format: 'jsonl', out: path.join(dir, 'leak.jsonl') }],
      ['packs.create', { reviewers: ['ann'], outDir: path.join(dir, 'leak-packs') }],
      ['decisions.export', { pack: 'some-pack', out: path.join(dir, 'leak.json') }],
    ] as Array<[Channel, unknown]>) {
      expect(await refused(channel, arg)).toMatch(/was not chosen in a file dialog and was not confirmed/);
    }
  });

  it('cannot reuse a path granted for one purpose for another (an import file as the program to run, or as an export)', async () => {
    userSays = true; // even with the destination confirmed, the path itself must have been picked for this purpose
    const picked = path.join(dir, 'cases.jsonl');
    writeFileSync(picked, '');
    grants.grant(picked, GRANTED_FOR.import);
    expect(await refused('settings.set', { llamaServerPath: picked })).toMatch(
      /not chosen in a file dialog .* choose it with the llamaServerPath button/,
    );
    expect(pathsAsked.at(-1)).toEqual(['llamaServerPath', picked]);
    await refused('export.run', { format: 'jsonl', out: picked });
    expect((await core.settings()).llamaServerPath).toBeNull();
  });

  it('changes the destination once the user confirmed it in the main dialog', async () => {
    userSays = true;
    const address = 'https://gpu.team.internal/v1';
    await call('settings.set', { openai: { baseUrl: address, model: 'm', allowInsecureRemote: false } });
    expect((await core.settings()).openai?.baseUrl).toBe(address);
    // The same address again is no change: no dialog.
    const before = asked.length;
    await call('settings.set', { openai: { baseUrl: address, model: 'm', allowInsecureRemote: false } });
    expect(asked.length).toBe(before);
    const program = path.join(dir, 'llama-server');
    writeFileSync(program, '');
    grants.grant(program, GRANTED_FOR.llamaServer);
    await call('settings.set', { llamaServerPath: program });
    expect((await core.settings()).llamaServerPath).toBe(program);
  });
});

describe('pickFile options from the window', () => {
  it('are schema-checked: a known purpose, a bare file name, nothing else', () => {
    expect(parsePickFileOptions({ purpose: 'export', defaultName: 'cases.jsonl' })).toEqual({
      purpose: 'export',
      defaultName: 'cases.jsonl',
    });
    expect(() => parsePickFileOptions({ purpose: 'anything' })).toThrow(/pickFile purpose/);
    expect(() => parsePickFileOptions({ purpose: 'export', defaultName: '../../.bashrc' })).toThrow(
      /defaultName: a file name without a folder/,
    );
    expect(() => parsePickFileOptions({ purpose: 'export', defaultPath: '/etc' })).toThrow(/pickFile/);
    expect(() => parsePickFileOptions('import')).toThrow(/pickFile/);
  });
});
