import type { RiskLevel } from '@domain/types';
import { RISK_LABELS } from '@domain/types';

export function riskLabel(risk: RiskLevel | null | undefined): string {
  return risk === null || risk === undefined ? '—' : RISK_LABELS[`${risk}`];
}

/**
 * A message from the core about one case, naming it by its queue number (#seq, what the screen shows) instead of
 * its internal id: "Case synth-111 is too long" reads "Case #112 is too long".
 */
export function withQueueNumber(message: string, caseId: string, seq: number): string {
  return caseId ? message.split(caseId).join(`#${seq}`) : message;
}

export function percent(value: number | null | undefined, digits = 1): string {
  if (value === null || value === undefined || Number.isNaN(value)) return '—';
  return `${(value * 100).toFixed(digits)}%`;
}

export function duration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return '—';
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = s % 60;
  return h > 0 ? `${h}h ${m}m` : m > 0 ? `${m}m ${rest}s` : `${rest}s`;
}

export function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)} MiB`;
  return `${(n / 1024 ** 3).toFixed(2)} GiB`;
}

export function dateTime(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString(undefined, { dateStyle: 'short', timeStyle: 'medium' });
}

/** A short, readable rendering of an activity-log before/after value (always plain text). */
export function summarizeValue(value: unknown): string {
  if (value === null || value === undefined) return '—';
  if (typeof value !== 'object') return String(value);
  const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== null && v !== undefined);
  return entries
    .map(([k, v]) => `${k}: ${typeof v === 'object' ? JSON.stringify(v) : String(v)}`)
    .join(', ')
    .slice(0, 300);
}
