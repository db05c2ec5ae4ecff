import { expect } from 'chai';
import { createHmac } from 'node:crypto';
import { GatewayError } from '../../../gateway/core/errors.js';
import { createSubjectHasher } from '../../../gateway/core/subject.js';

const secret = new Uint8Array(32).fill(7);

describe('createSubjectHasher', () => {
  it('gives the base64url HMAC-SHA-256 of the IDNr, the same every time', () => {
    const hash = createSubjectHasher(secret);
    const expected = createHmac('sha256', secret).update('93141705862').digest('base64url');
    expect(hash('93141705862')).to.equal(expected);
    expect(hash('93141705862')).to.equal(expected);
    expect(expected).to.match(/^[A-Za-z0-9_-]{43}$/);
  });

  it('gives different references for different citizens and different secrets', () => {
    const a = createSubjectHasher(secret);
    const b = createSubjectHasher(new Uint8Array(32).fill(8));
    expect(a('93141705862')).to.not.equal(a('20561748335'));
    expect(a('93141705862')).to.not.equal(b('93141705862'));
  });

  it('does not follow later changes to the caller’s secret buffer', () => {
    const mutable = new Uint8Array(32).fill(7);
    const hash = createSubjectHasher(mutable);
    const before = hash('93141705862');
    mutable.fill(0);
    expect(hash('93141705862')).to.equal(before);
  });

  it('refuses an IDNr with a wrong check digit, with ERR_IDENTIFIER', () => {
    const hash = createSubjectHasher(secret);
    for (const bad of ['93141705863', '9314170586', ' 93141705862', '９３１４１７０５８６２']) {
      try {
        hash(bad);
        expect.fail(`accepted ${bad}`);
      } catch (error) {
        expect(error).to.be.instanceOf(GatewayError);
        expect((error as GatewayError).code).to.equal('ERR_IDENTIFIER');
      }
    }
  });

  it('refuses a secret shorter than 32 bytes', () => {
    expect(() => createSubjectHasher(new Uint8Array(31))).to.throw(TypeError);
  });
});
