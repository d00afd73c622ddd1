import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { TraceFormatError, loadTraceFolder, parseTraceText } from './index.js';

const tmp = mkdtempSync(join(tmpdir(), 'livemig-planetlab-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const good = (n = 288, v = 7) => Array.from({ length: n }, () => `${v}\n`).join('');

/** A folder with one valid file and one file with the given text; returns the folder path. */
function folder(name: string, bad?: string): string {
  const dir = join(tmp, name);
  mkdirSync(dir);
  writeFileSync(join(dir, 'a_ok'), good());
  if (bad !== undefined) writeFileSync(join(dir, 'b_bad'), bad);
  return dir;
}

function errorOf(fn: () => unknown): TraceFormatError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(TraceFormatError);
    return err as TraceFormatError;
  }
  throw new Error('expected a TraceFormatError');
}

describe('loadTraceFolder', () => {
  it('reads a valid folder: sorted names, fractions, day = folder name', () => {
    const dir = join(tmp, '20990101');
    mkdirSync(dir);
    writeFileSync(join(dir, 'z node_slice'), good(288, 100));
    writeFileSync(join(dir, 'B'), good(288, 0).replace(/\n$/, '')); // no final newline
    writeFileSync(join(dir, 'a'), good(288, 55).replaceAll('\n', '\r\n')); // CRLF
    writeFileSync(join(dir, '.hidden'), 'ignored');
    mkdirSync(join(dir, 'sub'));
    const t = loadTraceFolder(dir);
    expect(t.day).toBe('20990101');
    expect(t.interval_s).toBe(300);
    expect(t.vms.map((v) => v.name)).toEqual(['B', 'a', 'z node_slice']);
    expect([...new Set(t.vms[0]!.utilisation)]).toEqual([0]);
    expect([...new Set(t.vms[1]!.utilisation)]).toEqual([0.55]);
    expect([...new Set(t.vms[2]!.utilisation)]).toEqual([1]);
  });

  it('names a missing folder, a file given as folder and an empty folder', () => {
    const missing = join(tmp, 'nope');
    expect(errorOf(() => loadTraceFolder(missing)).message).toMatch(`${missing}: trace folder not found`);
    const file = join(tmp, 'plain-file');
    writeFileSync(file, good());
    expect(errorOf(() => loadTraceFolder(file)).message).toBe(`${file}: not a folder`);
    const empty = folder('empty');
    rmSync(join(empty, 'a_ok'));
    expect(errorOf(() => loadTraceFolder(empty)).message).toBe(`${empty}: no trace files in folder`);
  });

  it('names file and line of a non-numeric sample', () => {
    const dir = folder('nonnum', good(10) + 'abc\n' + good(277));
    const e = errorOf(() => loadTraceFolder(dir));
    expect(e.file).toBe(join(dir, 'b_bad'));
    expect(e.line).toBe(11);
    expect(e.message).toBe(`${join(dir, 'b_bad')}:11: sample "abc" is not a number`);
  });

  it('names file and line of an empty line', () => {
    const dir = folder('blank', good(5) + '\n' + good(282));
    expect(errorOf(() => loadTraceFolder(dir)).message).toBe(`${join(dir, 'b_bad')}:6: empty line, expected a sample`);
  });

  it('names file and line of an out-of-range sample (above 100 or negative)', () => {
    const hi = folder('high', good(287) + '101\n');
    expect(errorOf(() => loadTraceFolder(hi)).message).toBe(`${join(hi, 'b_bad')}:288: sample 101 is out of range 0–100 (percent)`);
    const lo = folder('low', '-1\n' + good(287));
    expect(errorOf(() => loadTraceFolder(lo)).message).toBe(`${join(lo, 'b_bad')}:1: sample -1 is out of range 0–100 (percent)`);
  });

  it('names the file with a wrong number of samples', () => {
    const few = folder('few', good(287));
    const e = errorOf(() => loadTraceFolder(few));
    expect(e.message).toBe(`${join(few, 'b_bad')}: expected 288 samples (one per line), found 287`);
    expect(e.line).toBeUndefined();
    const many = folder('many', good(290));
    const m = errorOf(() => loadTraceFolder(many));
    expect(m.message).toBe(`${join(many, 'b_bad')}:289: expected 288 samples (one per line), found 290`);
    const none = folder('none', '');
    expect(errorOf(() => loadTraceFolder(none)).message).toMatch(/found 0$/);
  });
});

describe('parseTraceText', () => {
  it('accepts decimals and a custom sample count', () => {
    expect([...parseTraceText('12.5\n 100 \n0\n', 'x', 3)]).toEqual([0.125, 1, 0]);
    expect(Object.is(parseTraceText('-0\n', 'x', 1)[0], 0)).toBe(true);
  });
});
