/** Canonical JSON (sorted keys) and short hashes: the basis of stable run and config ids. */
import { createHash } from 'node:crypto';

/** JSON with object keys sorted and non-finite numbers spelled out, so equal values hash equally. */
export function canonical(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'number') return Number.isFinite(value) ? JSON.stringify(value) : JSON.stringify(String(value));
  if (typeof value === 'string' || typeof value === 'boolean') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined && typeof v !== 'function')
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(String(value));
}

/** Hex sha256 of a string. */
export const sha256 = (text: string | Uint8Array): string => createHash('sha256').update(text).digest('hex');

/** The first 16 hex digits (64 bits) of the sha256 of a value's canonical JSON. */
export const shortHash = (value: unknown): string => sha256(canonical(value)).slice(0, 16);
