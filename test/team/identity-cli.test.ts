// Item 1 of issue 19 on the command line: `guardtrace identity show|export` and `guardtrace team trust|keys`, their
// output shapes, and `pack import` / `decisions import` refusing what no enrolled key signed (exit code 1).
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { main, type CliIo } from '@main/cli/main';
import { tempDir } from '../helpers/temp-dir';

async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const io: CliIo = { stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t), interactive: false };
  const code = await main(args, io);
  return { code, stdout, stderr };
}

const FINGERPRINT = /^[0-9a-f]{4} [0-9a-f]{4} [0-9a-f]{4} [0-9a-f]{4}$/;

describe('guardtrace identity and team trust/keys', () => {
  const lead = tempDir('gt-lead-');
  const ann = tempDir('gt-ann-');
  const files = tempDir('gt-keys-');

  it('identity show: name, fingerprint and public key, the same each time (made once, kept 0600)', async () => {
    const shown = await cli('identity', 'show', '--json', '--data-dir', lead);
    expect(shown.code).toBe(0);
    const info = JSON.parse(shown.stdout);
    expect(Object.keys(info).sort()).toEqual(['algorithm', 'fingerprint', 'name', 'publicKey']);
    expect(info).toMatchObject({ algorithm: 'ed25519', fingerprint: expect.stringMatching(FINGERPRINT) });
    expect(Buffer.from(info.publicKey, 'base64')).toHaveLength(32);
    expect(JSON.parse((await cli('identity', 'show', '--json', '--data-dir', lead)).stdout)).toEqual(info);
    const text = await cli('identity', 'show', '--data-dir', lead);
    expect(text.stdout).toBe(
      `name         ${info.name}\nfingerprint  ${info.fingerprint}\npublic key   ${info.publicKey} (ed25519)\n`,
    );
    if (process.platform !== 'win32')
      expect(statSync(path.join(lead, 'keys', 'identity-ed25519.pem')).mode & 0o777).toBe(0o600);
  });

  it('identity export writes the public key file, with no private key in it', async () => {
    const out = path.join(files, 'lead.pub.json');
    const exported = await cli('identity', 'export', '--out', out, '--data-dir', lead, '--json');
    expect(exported.code).toBe(0);
    const info = JSON.parse((await cli('identity', 'show', '--json', '--data-dir', lead)).stdout);
    expect(JSON.parse(exported.stdout)).toEqual({ ...info, out });
    const file = JSON.parse(readFileSync(out, 'utf8'));
    expect(file).toEqual({ format: 'guardtrace-public-key', version: 1, ...info });
    expect(readFileSync(out, 'utf8')).not.toMatch(/PRIVATE/);
    expect((await cli('identity', 'export', '--data-dir', lead)).code).toBe(2);
  });

  it('team trust enrols a key file under a name; team keys lists it; the same again changes nothing', async () => {
    const out = path.join(files, 'lead.pub.json');
    const leadInfo = JSON.parse((await cli('identity', 'show', '--json', '--data-dir', lead)).stdout);
    const trusted = await cli('team', 'trust', out, '--as', 'lea', '--data-dir', ann);
    expect(trusted.code).toBe(0);
    expect(trusted.stdout).toBe(
      `Trusted lea: fingerprint ${leadInfo.fingerprint}. Check it matches what lea sees in "guardtrace identity show".\n`,
    );
    const again = await cli('team', 'trust', out, '--as', 'lea', '--data-dir', ann, '--json');
    expect(JSON.parse(again.stdout)).toMatchObject({ name: 'lea', fingerprint: leadInfo.fingerprint, added: false });
    const keys = await cli('team', 'keys', '--json', '--data-dir', ann);
    expect(JSON.parse(keys.stdout)).toEqual([
      {
        name: 'lea',
        publicKey: leadInfo.publicKey,
        fingerprint: leadInfo.fingerprint,
        enrolledAt: expect.any(String),
        enrolledBy: expect.any(String),
      },
    ]);
    expect((await cli('team', 'keys', '--data-dir', ann)).stdout).toMatch(
      new RegExp(`^lea  ${leadInfo.fingerprint}  enrolled \\S+ by \\S+\\n$`),
    );
    expect((await cli('team', 'keys', '--data-dir', lead)).stdout).toMatch(/^No key is trusted yet/);
    // The same key under another name, and a key file whose fingerprint was edited, are refused.
    expect(await cli('team', 'trust', out, '--as', 'bob', '--data-dir', ann)).toMatchObject({
      code: 1,
      stderr: expect.stringMatching(/enrolled already, as "lea"/),
    });
    const edited = path.join(files, 'edited.pub.json');
    writeFileSync(
      edited,
      JSON.stringify({ ...JSON.parse(readFileSync(out, 'utf8')), fingerprint: '0000 0000 0000 0000' }),
    );
    expect(await cli('team', 'trust', edited, '--as', 'zed', '--data-dir', ann)).toMatchObject({
      code: 1,
      stderr: expect.stringMatching(/says its fingerprint is 0000 0000 0000 0000, but its key's is/),
    });
    expect((await cli('team', 'trust', out, '--data-dir', ann)).stderr).toMatch(/--as NAME is required/);
    expect((await cli('team', 'frob', '--data-dir', ann)).stderr).toMatch(/use init, add-user, whoami, trust or keys/);
  });

  it('pack import and decisions import exit 1 on what no enrolled key signed; enrolled, the round trip works', async () => {
    const bob = tempDir('gt-bob-');
    writeFileSync(path.join(files, 'cases.jsonl'), '{"id":"c1","question":"q","thinking":"t","response":"r"}\n');
    expect((await cli('import', path.join(files, 'cases.jsonl'), '--data-dir', lead)).code).toBe(0);
    const packs = path.join(files, 'packs');
    expect((await cli('pack', 'create', '--reviewers', 'ann', '--out', packs, '--data-dir', lead)).code).toBe(0);
    const pack = path.join(packs, 'ann.gtpack');
    // Bob never enrolled the lead's key.
    expect(await cli('pack', 'import', pack, '--data-dir', bob)).toMatchObject({
      code: 1,
      stderr: expect.stringMatching(/ann\.gtpack is signed by a key this workspace does not trust \(fingerprint/),
    });
    const imported = await cli('pack', 'import', pack, '--data-dir', ann);
    expect(imported.code).toBe(0);
    expect(imported.stdout).toMatch(/signed by lea \([0-9a-f ]{19}\)/);
    expect((await cli('review', 'c1', '--risk', '1', '--reviewer', 'ann', '--data-dir', ann)).code).toBe(0);
    const decisions = path.join(files, 'ann-decisions.json');
    const packId = JSON.parse((await cli('pack', 'import', pack, '--data-dir', ann, '--json')).stdout).packId;
    expect((await cli('decisions', 'export', '--pack', packId, '--out', decisions, '--data-dir', ann)).code).toBe(0);
    // The lead has not enrolled ann's key yet.
    expect(await cli('decisions', 'import', decisions, '--data-dir', lead)).toMatchObject({
      code: 1,
      stderr: expect.stringMatching(/is signed by a key this workspace does not trust/),
    });
    const annKey = path.join(files, 'ann.pub.json');
    expect((await cli('identity', 'export', '--out', annKey, '--data-dir', ann)).code).toBe(0);
    expect((await cli('team', 'trust', annKey, '--as', 'ann', '--data-dir', lead)).code).toBe(0);
    const done = await cli('decisions', 'import', decisions, '--data-dir', lead, '--json');
    expect(done.code).toBe(0);
    expect(JSON.parse(done.stdout)).toMatchObject({ imported: 1, reviewer: 'ann' });
  });
});
