/**
 * Issue 11, denial of service (e): with stdout on a full disk the gateway hung, then died of an unhandled pino
 * destination error. The operator log now drops lines it cannot write, counts them, and never blocks or throws.
 */
import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { expect } from 'chai';
import { createDroppingDestination } from '../../gateway/log-destination.js';
import { fromRoot } from '../../gateway/paths.js';

type WriteFn = NonNullable<Parameters<typeof createDroppingDestination>[0]['writeFn']>;

/** A write function that fails with `code` while `failing()` says so, and records what it wrote. */
function fakeWrite(failing: () => string | undefined, written: string[]): WriteFn {
  return ((
    _fd: number,
    buffer: Buffer,
    offset: number,
    length: number,
    _pos: null,
    cb: (...a: unknown[]) => void,
  ) => {
    const code = failing();
    setImmediate(() => {
      if (code !== undefined) cb(Object.assign(new Error(code), { code }), 0);
      else {
        written.push(buffer.subarray(offset, offset + length).toString());
        cb(null, length);
      }
    });
  }) as unknown as WriteFn;
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 30));

describe('the operator log destination (issue 11)', () => {
  it('drops and counts the lines of a failed write, and writes again later', async () => {
    let failure: string | undefined = 'ENOSPC';
    const written: string[] = [];
    const d = createDroppingDestination({ fd: 99, retryMs: 10, writeFn: fakeWrite(() => failure, written) });
    expect(d.write('a\n')).to.equal(true);
    expect(d.write('b\n')).to.equal(true);
    await settle();
    expect(d.dropped()).to.equal(2);
    expect(d.lastError()).to.equal('ENOSPC');
    failure = undefined;
    d.write('c\n');
    await settle();
    expect(written.join('')).to.equal('c\n');
    expect(d.dropped()).to.equal(2);
  });

  it('drops new lines while its buffer is full, never growing past it', async () => {
    const written: string[] = [];
    let stalled = true;
    const pending: (() => void)[] = [];
    const slow = ((
      _fd: number,
      buffer: Buffer,
      offset: number,
      length: number,
      _p: null,
      cb: (...a: unknown[]) => void,
    ) => {
      const done = () => {
        written.push(buffer.subarray(offset, offset + length).toString());
        cb(null, length);
      };
      if (stalled) pending.push(done);
      else setImmediate(done);
    }) as unknown as WriteFn;
    const d = createDroppingDestination({ fd: 99, maxBufferedBytes: 10, writeFn: slow });
    d.write('12345\n'); // handed to the (stalled) write
    await settle();
    d.write('abcd\n');
    d.write('efgh\n');
    d.write('ijkl\n'); // 15 bytes would be over 10
    expect(d.dropped()).to.equal(1);
    stalled = false;
    pending.shift()!();
    await settle();
    expect(written.join('')).to.equal('12345\nabcd\nefgh\n');
  });

  it('retries a full non-blocking pipe (EAGAIN) without losing the line', async () => {
    let again = 2;
    const written: string[] = [];
    const d = createDroppingDestination({
      fd: 99,
      writeFn: fakeWrite(() => (again-- > 0 ? 'EAGAIN' : undefined), written),
    });
    d.write('x\n');
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(written).to.deep.equal(['x\n']);
    expect(d.dropped()).to.equal(0);
  });

  it('keeps a process with stdout on a full disk (/dev/full) alive and its timers running, counting the drops', async function () {
    this.timeout(30_000);
    const full = openSync('/dev/full', 'w');
    try {
      const child = spawn(
        process.execPath,
        ['--import', 'tsx', fromRoot('test/fixtures/log-to-stdout.ts'), '5000'],
        { stdio: ['ignore', full, 'pipe'], cwd: fromRoot('.') },
      );
      let stderr = '';
      child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
      expect(code, stderr).to.equal(0);
      const report = JSON.parse(stderr.trim().split('\n').at(-1)!) as { dropped: number; ticks: number };
      expect(report.dropped).to.equal(5000);
      expect(report.ticks).to.be.above(10);
    } finally {
      closeSync(full);
    }
  });
});
