/**
 * The oog CLI's XÖV commands as a user runs them (child processes of bin/oog.js, issue 3): `oog send --xoev
 * --dry-run` prints a signed nachweisanfrage that `oog xoev verify` accepts, and any changed byte of the signed
 * content makes the check fail at the signature step.
 */
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fromRoot } from '../../gateway/paths.js';

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

let dataDir: string;

function oog(args: readonly string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [fromRoot('bin/oog.js'), ...args],
      { cwd: fromRoot('.'), env: { ...process.env, OOG_DATA_DIR: dataDir }, timeout: 60_000 },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

const SEND = [
  'send',
  '--xoev',
  '--dry-run',
  '--as',
  'ags:09999002',
  '--evidence',
  'meldebescheinigung',
  '--provider',
  'mld:09999001',
  '--subject',
  '93141705862',
  '--purpose',
  'elterngeld-antrag',
  '--fields',
  'anschrift,einzugsdatum',
];

describe('oog send --xoev --dry-run and oog xoev verify', function () {
  this.timeout(60_000);
  let message: string;

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'oog-cli-xoev-'));
    const sent = await oog(SEND);
    expect(sent.code, sent.stderr).to.equal(0);
    message = sent.stdout;
  });
  after(() => rmSync(dataDir, { recursive: true, force: true }));

  function verifyText(text: string, name: string): Promise<Run> {
    const file = join(dataDir, name);
    writeFileSync(file, text);
    return oog(['xoev', 'verify', file]);
  }

  it('prints a signed nachweisanfrage.0101 without sending it', () => {
    expect(message).to.match(/^<\?xml[^>]*\?>\s*<oog:nachweisanfrage\.0101 /);
    expect(message).to.include('<ds:SignatureValue>');
    expect(message).to.include('<oog:zweck>elterngeld-antrag</oog:zweck>');
  });

  it('accepts the printed message with exit 0, every step passed', async () => {
    const run = await verifyText(message, 'request.xml');
    expect(run.code, run.stderr).to.equal(0);
    for (const step of ['gate', 'parse', 'sender', 'signature', 'signed-content', 'schema']) {
      expect(run.stdout).to.match(new RegExp(`^ok +${step}$`, 'm'));
    }
  });

  for (const [what, from, to] of [
    ['the purpose', '>elterngeld-antrag<', '>elterngeld-antrbg<'],
    ['a digit of the IdNr', '>93141705862<', '>93141705863<'],
    ['the requested fields', '>einzugsdatum<', '>einzugsdatun<'],
  ] as const) {
    it(`fails with exit 1 at the signature step, with ERR_SIG_INVALID, after one byte of ${what} changed`, async () => {
      expect(message).to.include(from);
      const tampered = message.replace(from, to);
      expect(Buffer.byteLength(tampered)).to.equal(Buffer.byteLength(message));
      const run = await verifyText(tampered, 'tampered.xml');
      expect(run.code).to.equal(1);
      expect(run.stderr).to.match(/FAILED at signature: ERR_SIG_INVALID/);
      expect(run.stdout).to.not.match(/^ok +signature$/m);
    });
  }

  it('fails with exit 1 at the signature step after one byte of the SignatureValue changed', async () => {
    const tampered = message.replace(
      /(<ds:SignatureValue>)(.)/,
      (_all, open: string, first: string) => `${open}${first === 'A' ? 'B' : 'A'}`,
    );
    expect(tampered).to.not.equal(message);
    const run = await verifyText(tampered, 'bad-signature.xml');
    expect(run.code).to.equal(1);
    expect(run.stderr).to.match(/FAILED at signature: ERR_SIG_INVALID/);
  });
});
