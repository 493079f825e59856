// Stopping a probe at its judgment (engine/judgment-stop.ts): when GuardTrace-VL's output counts as having its
// judgment written, and the OpenAI-compatible engine closing the stream there, so a server that would keep writing
// after the judgment stops. The runtimes (node-llama-cpp, llama.node, the sidecar) are driven through real searches
// in test/engine/step-locate-engines.test.ts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditInput } from '@main/engine/engine';
import { auditGrammar, judgmentWritten, JudgmentWatch } from '@main/engine/judgment-stop';
import { OpenAiCompatibleEngine } from '@main/engine/openai/openai-engine';
import { DEFAULT_PROFILE } from '@main/engine/profiles';
import { FAKE_MODEL, startFakeOpenAiServer, type FakeOpenAiServer } from '../helpers/fake-openai-server';
import { testVerdictContext } from '../helpers/verdict-context';
import { plantedMarkerProfile, PLANTED_GRAMMAR, PLANTED_JUDGMENT_FIRST_GRAMMAR } from '../profiles/planted-marker';

const guardTrace = DEFAULT_PROFILE;

describe('judgmentWritten (GuardTrace-VL)', () => {
  it('needs the judgment line complete, and a value the parser takes', () => {
    const analysis = '“Analysis”: The trace explains how to pick a lock.\n';
    expect(judgmentWritten(guardTrace, analysis)).toBe(false);
    expect(judgmentWritten(guardTrace, `${analysis}“Judgment”: 0`)).toBe(false); // may still become 0.5
    expect(judgmentWritten(guardTrace, `${analysis}“Judgment”: 0.`)).toBe(false);
    expect(judgmentWritten(guardTrace, `${analysis}“Judgment”: 0.5\n`)).toBe(true);
    expect(judgmentWritten(guardTrace, `${analysis}“Judgment”: 1\n“Category”: Pri`)).toBe(true);
    // The template echoed back is no verdict: generation goes on.
    expect(judgmentWritten(guardTrace, `${analysis}“Judgment”: [0/0.5/1]\n`)).toBe(false);
    // "Judgment" inside the analysis, without a value after it, is not the judgment.
    expect(judgmentWritten(guardTrace, '“Analysis”: my judgment: the trace is fine\nmore\n')).toBe(false);
  });

  it('reads the whole output when the engine has it, since a piece may end inside a character', () => {
    const whole = '“Analysis”: ok.\n“Judgment”: 1\n';
    const watch = new JudgmentWatch(guardTrace, { stopAtJudgment: true }, () => whole);
    expect(watch.push('\uFFFD')).toBe(false); // no line ends here
    expect(watch.push('\n')).toBe(true);
    expect(watch.outcome(undefined)).toBe('after_judgment');
    const off = new JudgmentWatch(guardTrace, {});
    expect(off.push(whole)).toBe(false);
    expect(off.outcome(undefined)).toBeUndefined();
  });

  it('asks for the judgment first only where the profile allows it', () => {
    expect(auditGrammar(guardTrace, { stopAtJudgment: true })).toBeUndefined();
    expect(auditGrammar(guardTrace, { stopAtJudgment: true, strictFormat: true })).toBe(guardTrace.strictGrammar);
    const planted = plantedMarkerProfile({ judgmentFirst: true });
    expect(auditGrammar(planted, { stopAtJudgment: true })).toBe(PLANTED_JUDGMENT_FIRST_GRAMMAR);
    expect(auditGrammar(planted, { strictFormat: true })).toBe(PLANTED_GRAMMAR);
  });
});

describe('the OpenAI-compatible engine stops reading at the judgment', () => {
  const tail = Array.from({ length: 30 }, (_, i) => ` more ${i}`);
  const pieces = ['“Analysis”: the trace is harmful.', '\n“Judgment”: ', '1', '\n“Category”: ', 'Privacy', ...tail];
  let server: FakeOpenAiServer;
  let engine: OpenAiCompatibleEngine;
  const input: AuditInput = {
    caseId: 'c1',
    query: 'q',
    thinking: 'Step 1: t',
    response: 'No response provided',
    image: null,
    imageMissing: false,
  };

  beforeAll(async () => {
    server = await startFakeOpenAiServer({ pieces, pieceDelayMs: 20 });
    engine = await OpenAiCompatibleEngine.connect({
      baseUrl: server.baseUrl,
      model: FAKE_MODEL,
      verdict: testVerdictContext(),
    });
  });
  afterAll(async () => {
    await engine?.dispose();
    await server?.close();
  });

  it('closes the stream once the judgment line is complete; a verdict still reads to the end', async () => {
    const probe = await engine.audit(input, { stopAtJudgment: true });
    expect(probe.verdict).toMatchObject({ status: 'ok', risk: 1 });
    expect(probe.judgmentStop).toBe('after_judgment');
    expect(probe.rawOutput).toBe('“Analysis”: the trace is harmful.\n“Judgment”: 1\n“Category”: ');
    // No usage chunk arrives on a stream closed early: the pieces read are the count.
    expect(probe.generatedTokens).toBe(4);
    // The server saw the client go: it wrote at most a piece or two past the judgment, not its 30-piece tail.
    await expect.poll(() => server.piecesWritten.length).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(server.piecesWritten[0]).toBeLessThan(8);

    const verdict = await engine.audit(input);
    expect(verdict.judgmentStop).toBeUndefined();
    expect(verdict.rawOutput).toBe(pieces.join(''));
    expect(server.piecesWritten[1]).toBe(pieces.length);
  });
});
