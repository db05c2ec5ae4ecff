import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { loadCallbackSecrets } from '../../gateway/adapters/files/index.js';
import { EXAMPLE_CALLBACK_SECRETS_FILE } from '../../gateway/config.js';

const GOOD = 'a-callback-secret-with-at-least-32-characters';

describe('loadCallbackSecrets', () => {
  let dir: string;
  let file: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'oog-cb-secrets-'));
    file = join(dir, 'callback-secrets.json');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  function write(content: unknown, mode = 0o600): void {
    writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
    chmodSync(file, mode);
  }

  it('reads a 0600 file into a map by participant id', () => {
    write({ secrets: { 'ags:09999001': GOOD } });
    const { secrets, permissive } = loadCallbackSecrets(file, { allowPermissive: false });
    expect(permissive).to.equal(false);
    expect([...secrets]).to.deep.equal([['ags:09999001', GOOD]]);
  });

  it('refuses a file that group or others may read, unless allowed (and then says it is permissive)', () => {
    write({ secrets: { 'ags:09999001': GOOD } }, 0o644);
    expect(() => loadCallbackSecrets(file, { allowPermissive: false })).to.throw(/chmod 600/);
    expect(loadCallbackSecrets(file, { allowPermissive: true }).permissive).to.equal(true);
    chmodSync(file, 0o640);
    expect(() => loadCallbackSecrets(file, { allowPermissive: false })).to.throw(/chmod 600/);
  });

  const bad: [string, unknown][] = [
    ['not JSON', '{secrets'],
    ['no secrets member', { 'ags:09999001': GOOD }],
    ['secrets as a list', { secrets: [GOOD] }],
    ['an id that is no participant id', { secrets: { wohngeld: GOOD } }],
    ['a short secret', { secrets: { 'ags:09999001': 'short' } }],
    ['a secret that is no string', { secrets: { 'ags:09999001': 12345 } }],
  ];
  for (const [what, content] of bad) {
    it(`refuses ${what}, naming the file but no secret`, () => {
      write(content);
      let message = '';
      try {
        loadCallbackSecrets(file, { allowPermissive: false });
      } catch (error) {
        message = (error as Error).message;
      }
      expect(message).to.include(file);
      expect(message).not.to.include(GOOD);
    });
  }

  it('reads the example file shipped in certs-example/ for both demo consumers', () => {
    const { secrets } = loadCallbackSecrets(EXAMPLE_CALLBACK_SECRETS_FILE, { allowPermissive: true });
    expect([...secrets.keys()]).to.have.members(['ags:09999001', 'ags:09999002']);
  });
});
