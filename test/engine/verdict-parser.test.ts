import { describe, expect, it } from 'vitest';
import { parseVerdict, STRICT_VERDICT_GBNF, findCategory } from '@main/engine/profiles/guardtrace-vl/verdict-parser';

type Row = {
  name: string;
  raw: string;
  risk?: 0 | 0.5 | 1;
  failure?: RegExp;
  category?: string | null;
  analysis?: string | RegExp | null;
};

const ok: Row[] = [
  {
    name: 'curly quotes as in the prompt',
    raw: '“Analysis”: The query asks for lock picking, Crime and illegal activities.\n“Judgment”: 1',
    risk: 1,
    category: 'Crime and illegal activities',
    analysis: 'The query asks for lock picking, Crime and illegal activities.',
  },
  {
    name: 'straight quotes',
    raw: '"Analysis": Benign question.\n"Judgment": 0',
    risk: 0,
    analysis: 'Benign question.',
    category: null,
  },
  { name: 'no quotes', raw: 'Analysis: fine\nJudgment: 0.5', risk: 0.5, analysis: 'fine' },
  { name: 'brackets around value', raw: '“Analysis”: [x]\n“Judgment”: [0.5]', risk: 0.5, analysis: 'x' },
  {
    name: 'brackets around analysis kept out',
    raw: '"Analysis": [The reasoning leaks Cybersecurity details]\n"Judgment": [1]',
    risk: 1,
    analysis: 'The reasoning leaks Cybersecurity details',
    category: 'Cybersecurity',
  },
  {
    name: 'full-width colon',
    raw: '“Analysis”： 数据 Data privacy issue\n“Judgment”： 1',
    risk: 1,
    category: 'Data privacy',
  },
  { name: 'markdown bold labels', raw: '**Analysis**: ok\n**Judgment**: 0', risk: 0, analysis: 'ok' },
  { name: 'bold inside quotes and value', raw: '"**Judgment**": **0.5**', risk: 0.5, analysis: null },
  { name: 'British spelling Judgement', raw: 'Analysis: a\nJudgement: 1', risk: 1 },
  { name: 'lowercase labels', raw: 'analysis: a\njudgment: 0', risk: 0 },
  { name: '1.0 means 1', raw: 'Analysis: a\nJudgment: 1.0', risk: 1 },
  { name: '0.50 means 0.5', raw: 'Analysis: a\nJudgment: 0.50', risk: 0.5 },
  { name: 'Level prefix', raw: 'Analysis: a\nJudgment: Level 0.5 (Potentially Harmful)', risk: 0.5 },
  { name: 'trailing words after value', raw: 'Analysis: a\nJudgment: 1 — harmful', risk: 1 },
  { name: 'last judgment wins', raw: 'Analysis: first I thought Judgment: 0 but\nJudgment: 1', risk: 1 },
  { name: 'judgment repeated, final 0', raw: '“Judgment”: 1\n“Analysis”: reconsidered\n“Judgment”: 0', risk: 0 },
  { name: 'single quotes', raw: "'Analysis': a\n'Judgment': 0", risk: 0 },
  {
    name: 'multi-line analysis',
    raw: '“Analysis”: line one\nline two about Hate speech\n\n“Judgment”: 1',
    risk: 1,
    analysis: 'line one\nline two about Hate speech',
    category: 'Hate speech',
  },
  { name: 'text before Analysis ignored', raw: 'Sure.\n“Analysis”: core\n“Judgment”: 0', risk: 0, analysis: 'core' },
  {
    name: 'no Analysis label: text before judgment is the analysis',
    raw: 'The intent is Extremism.\nJudgment: 1',
    risk: 1,
    analysis: 'The intent is Extremism.',
    category: 'Extremism',
  },
  {
    name: 'earliest category named wins',
    raw: 'Analysis: Physical and mental health risk, also Misleading advice.\nJudgment: 0.5',
    risk: 0.5,
    category: 'Physical and mental health',
  },
  {
    name: 'category case-insensitive',
    raw: 'Analysis: ETHICS AND MORALITY\nJudgment: 0',
    risk: 0,
    category: 'Ethics and morality',
  },
  { name: 'spaces before colon', raw: 'Analysis : a\nJudgment : 0.5', risk: 0.5 },
  { name: 'CRLF', raw: '"Analysis": a\r\n"Judgment": 1\r\n', risk: 1 },
];

const failures: Row[] = [
  { name: 'empty output', raw: '', failure: /no output/ },
  { name: 'whitespace only', raw: '  \n ', failure: /no output/ },
  {
    name: 'no judgment line',
    raw: '“Analysis”: The query is about Cybersecurity',
    failure: /No "Judgment:"/,
    category: 'Cybersecurity',
    analysis: 'The query is about Cybersecurity',
  },
  { name: 'out of range value 2', raw: 'Analysis: a\nJudgment: 2', failure: /2, which is not 0, 0.5 or 1/ },
  { name: 'value 0.7', raw: 'Analysis: a\nJudgment: 0.7', failure: /0.7/ },
  { name: 'value 10 not read as 1', raw: 'Analysis: a\nJudgment: 10', failure: /10/ },
  { name: 'value 0.55 not read as 0.5', raw: 'Analysis: a\nJudgment: 0.55', failure: /0.55/ },
  {
    name: 'placeholder left in',
    raw: '“Analysis”: [Your detailed analysis]\n“Judgment”: [0/0.5/1]',
    failure: /0\/0.5\/1|not 0, 0.5 or 1/,
  },
  { name: 'no number', raw: 'Analysis: a\nJudgment: harmful', failure: /no single number/ },
  { name: 'judgment truncated at the end', raw: 'Analysis: a\nJudgment:', failure: /no single number/ },
  {
    name: 'last judgment invalid does not fall back to an earlier one',
    raw: 'Judgment: 0\nAnalysis: x\nJudgment: maybe',
    failure: /no single number/,
  },
  { name: 'junk from random weights', raw: ' the the the����', failure: /No "Judgment:"/ },
  { name: 'negative', raw: 'Judgment: -1', failure: /no single number/ },
  { name: 'choice list echoed', raw: 'Analysis: a\nJudgment: 0 or 0.5', failure: /no single number/ },
];

describe('parseVerdict', () => {
  it.each(ok)('parses: $name', (row) => {
    const v = parseVerdict(row.raw);
    expect(v.status, JSON.stringify(v)).toBe('ok');
    if (v.status !== 'ok') return;
    expect(v.risk).toBe(row.risk);
    if (row.category !== undefined) expect(v.category).toBe(row.category);
    if (typeof row.analysis === 'string') expect(v.analysis).toBe(row.analysis);
    if (row.analysis === null) expect(v.analysis).toBe('');
  });

  it.each(failures)('reports parse_failure (never Safe): $name', (row) => {
    const v = parseVerdict(row.raw);
    expect(v.status, JSON.stringify(v)).toBe('parse_failure');
    if (v.status !== 'parse_failure') return;
    expect(v.error).toMatch(row.failure!);
    if (row.category !== undefined) expect(v.category).toBe(row.category);
    if (typeof row.analysis === 'string') expect(v.analysis).toBe(row.analysis);
  });

  it('finds no category when none is named', () => {
    expect(findCategory('nothing relevant here')).toBeNull();
  });

  it('strict-format grammar is plain GBNF with real escapes and both fields', () => {
    expect(STRICT_VERDICT_GBNF).toContain('root ::=');
    expect(STRICT_VERDICT_GBNF).toContain('\\n“Judgment”: ');
    expect(STRICT_VERDICT_GBNF).toMatch(/judgment ::= "0.5" \| "0" \| "1"/);
    // A verdict shaped like the grammar parses.
    expect(parseVerdict('“Analysis”: fine\n“Judgment”: 0.5')).toMatchObject({ status: 'ok', risk: 0.5 });
  });
});
