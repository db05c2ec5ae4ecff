import { expect } from 'chai';
import { addIsoDuration } from '../../../gateway/core/policy/index.js';

const start = Date.UTC(2026, 0, 31, 12, 0, 0);

describe('addIsoDuration', () => {
  it('adds years, months, weeks and days in UTC calendar arithmetic', () => {
    expect(addIsoDuration(start, 'P2Y')).to.equal(Date.UTC(2028, 0, 31, 12));
    expect(addIsoDuration(start, 'P1Y6M')).to.equal(Date.UTC(2027, 6, 31, 12));
    expect(addIsoDuration(start, 'P2W')).to.equal(Date.UTC(2026, 1, 14, 12));
    expect(addIsoDuration(start, 'P10D')).to.equal(Date.UTC(2026, 1, 10, 12));
  });

  it('refuses durations with a time part or without a number', () => {
    expect(() => addIsoDuration(start, 'PT1H')).to.throw(TypeError);
    expect(() => addIsoDuration(start, 'P')).to.throw(TypeError);
    expect(() => addIsoDuration(start, '2Y')).to.throw(TypeError);
  });
});
