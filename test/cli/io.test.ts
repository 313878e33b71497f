/** The CLI's stdout/stderr writers: direct fd writes, with the stream taking over, in order, when the fd would block. */
import { describe, expect, it } from 'vitest';
import { fdWriter } from '../../src/cli/io.js';

function fakeStream() {
  const chunks: string[] = [];
  const stream = { write: (c: string | Uint8Array) => chunks.push(typeof c === 'string' ? c : new TextDecoder().decode(c)), on: () => stream, isTTY: false };
  return { chunks, get: () => stream as unknown as NodeJS.WriteStream };
}

const eagain = (): never => {
  throw Object.assign(new Error('EAGAIN: resource temporarily unavailable, write'), { code: 'EAGAIN' });
};

describe('fdWriter', () => {
  it('writes everything to the fd, looping over partial writes, and never creates the stream', () => {
    const written: string[] = [];
    const s = fakeStream();
    let created = false;
    const w = fdWriter(1, () => ((created = true), s.get()), (_fd, buf, at) => {
      const n = Math.min(3, buf.length - at); // a fd that takes 3 bytes per call
      written.push(new TextDecoder().decode(buf.subarray(at, at + n)));
      return n;
    });
    w.write('héllo\n');
    w.write('world\n');
    expect(written.join('')).toBe('héllo\nworld\n');
    expect(created).toBe(false);
  });

  it('hands the rest to the stream when the fd would block, and keeps using the stream after that', () => {
    const written: string[] = [];
    const s = fakeStream();
    let calls = 0;
    const w = fdWriter(1, s.get, (_fd, buf, at) => {
      if (++calls > 1) return eagain();
      written.push(new TextDecoder().decode(buf.subarray(at, at + 4)));
      return 4;
    });
    w.write('abcdefgh');
    w.write('ijk');
    expect(written).toEqual(['abcd']);
    expect(s.chunks).toEqual(['efgh', 'ijk']);
    expect(calls).toBe(2);
  });

  it('rethrows other write errors', () => {
    const w = fdWriter(2, fakeStream().get, () => {
      throw Object.assign(new Error('EIO'), { code: 'EIO' });
    });
    expect(() => w.write('x')).toThrow('EIO');
  });
});
