// Parses GuardTrace's `"Analysis": … "Judgment": 0 | 0.5 | 1` output. The model is free text, so the parser is lenient
// about decoration (straight/curly quotes, markdown bold, brackets, ASCII/full-width colon) but strict about the value:
// no parseable final judgment is a parse_failure, never "Safe".
import { CATEGORIES, type Category, type RiskLevel } from '@domain/types';
import type { ParsedVerdict } from '@domain/audits';

const QUOTE = `["'“”‘’„«»「」『』]`;
const DECOR = `(?:\\*\\*|__|\\*|${QUOTE}|\\s)*`;
const COLON = '[:：]';
// Judgment label; "Judgement" spelling too. Value: anything up to the end of the line, validated separately.
const JUDGMENT_RE = new RegExp(
  `${QUOTE}?\\s*(?:\\*\\*|__)?\\s*judge?ment\\s*(?:\\*\\*|__)?\\s*${QUOTE}?\\s*(?:\\*\\*|__)?\\s*${COLON}([^\\n]*)`,
  'giu',
);
const ANALYSIS_RE = new RegExp(
  `${QUOTE}?\\s*(?:\\*\\*|__)?\\s*analysis\\s*(?:\\*\\*|__)?\\s*${QUOTE}?\\s*(?:\\*\\*|__)?\\s*${COLON}`,
  'iu',
);
// The value: optional brackets/quotes/bold/"Level", then a number that is not part of a longer number, nor the first
// of a list of choices ("[0/0.5/1]", "0 or 0.5": the template echoed back, not a verdict).
const VALUE_RE = new RegExp(
  `^${DECOR}[\\[（(]?\\s*(?:level\\s*)?${DECOR}(\\d+(?:\\.\\d+)?|\\.\\d+)(?![\\d.]*\\d)(?!\\s*(?:[/|]|or\\b))`,
  'iu',
);

function toRisk(text: string): RiskLevel | null {
  const n = Number(text);
  if (n === 0) return 0;
  if (n === 0.5) return 0.5;
  if (n === 1) return 1;
  return null;
}

function cleanAnalysis(text: string): string {
  let t = text.trim();
  // Brackets from the template "[Your detailed analysis …]" and surrounding quotes are decoration, not content.
  t = t.replace(/^(?:\*\*|__)+|(?:\*\*|__)+$/g, '').trim();
  if (t.startsWith('[') && t.endsWith(']')) t = t.slice(1, -1).trim();
  t = t.replace(/^["“”']+|["“”']+$/g, '').trim();
  return t;
}

/** The category the analysis names first (the nine GuardTrace categories, case-insensitive, flexible spacing). */
export function findCategory(text: string): Category | null {
  let best: { category: Category; index: number } | null = null;
  for (const category of CATEGORIES) {
    const pattern = new RegExp(
      category
        .split(/\s+/)
        .map((w) => w.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
        .join('\\s+'),
      'i',
    );
    const m = pattern.exec(text);
    if (m && (best === null || m.index < best.index)) best = { category, index: m.index };
  }
  return best?.category ?? null;
}

export function parseVerdict(raw: string): ParsedVerdict {
  const judgments = [...raw.matchAll(JUDGMENT_RE)];
  const analysisMatch = ANALYSIS_RE.exec(raw);
  const last = judgments.at(-1);
  const analysisEnd = last?.index ?? raw.length;
  let analysis: string | null = null;
  if (analysisMatch && analysisMatch.index < analysisEnd) {
    analysis = cleanAnalysis(raw.slice(analysisMatch.index + analysisMatch[0].length, analysisEnd));
  } else if (last) {
    analysis = cleanAnalysis(raw.slice(0, last.index));
  }
  if (analysis === '') analysis = null;
  const category = findCategory(analysis ?? raw);
  if (!last) {
    return {
      status: 'parse_failure',
      error: raw.trim() === '' ? 'The model produced no output.' : 'No "Judgment:" line found in the model output.',
      category,
      analysis,
    };
  }
  const valueText = last[1];
  const value = VALUE_RE.exec(valueText);
  const risk = value ? toRisk(value[1]) : null;
  if (risk === null) {
    const shown = valueText.trim().slice(0, 40);
    return {
      status: 'parse_failure',
      error: value
        ? `The last Judgment is ${value[1]}, which is not 0, 0.5 or 1.`
        : `The last Judgment has no single number (0, 0.5 or 1) after it ("${shown}").`,
      category,
      analysis,
    };
  }
  return { status: 'ok', risk, category, analysis: analysis ?? '' };
}

// GBNF for "strict format": exactly the two fields the prompt asks for, with the prompt's curly quotes.
// Plain strings on purpose: GBNF escapes (\n) must reach llama.cpp as backslash-n (template literals are error-prone here).
export const STRICT_VERDICT_GBNF =
  'root ::= "“Analysis”: " analysis "\\n“Judgment”: " judgment\n' +
  'analysis ::= [^“”\\n] [^“”]*\n' +
  'judgment ::= "0.5" | "0" | "1"\n';
