/** The budget of logged unauthenticated refusals per source address: a token bucket with bounded memory. */
import { expect } from 'chai';
import { createRefusalBudget } from '../../../gateway/core/exchange/index.js';

function clockAt(start = 0) {
  let now = start;
  return { nowMs: () => now, advance: (ms: number) => (now += ms) };
}

describe('refusal budget', () => {
  it('allows perMinute at once, then refills one every 60/perMinute seconds, and says when', () => {
    const clock = clockAt();
    const budget = createRefusalBudget({ perMinute: 3, clock });
    for (let i = 0; i < 3; i++) expect(budget.take('10.0.0.1')).to.deep.equal({ ok: true });
    expect(budget.take('10.0.0.1')).to.deep.equal({ ok: false, retryAfterS: 20 });
    clock.advance(10_000);
    expect(budget.take('10.0.0.1')).to.deep.equal({ ok: false, retryAfterS: 10 });
    clock.advance(10_000);
    expect(budget.take('10.0.0.1')).to.deep.equal({ ok: true });
    expect(budget.take('10.0.0.1').ok).to.equal(false);
    // Another address has its own budget.
    expect(budget.take('10.0.0.2')).to.deep.equal({ ok: true });
    // A long pause refills to perMinute, not beyond.
    clock.advance(3_600_000);
    for (let i = 0; i < 3; i++) expect(budget.take('10.0.0.1').ok).to.equal(true);
    expect(budget.take('10.0.0.1').ok).to.equal(false);
  });

  it('peeks without spending', () => {
    const clock = clockAt();
    const budget = createRefusalBudget({ perMinute: 1, clock });
    for (let i = 0; i < 3; i++) expect(budget.peek('10.0.0.1')).to.deep.equal({ ok: true });
    expect(budget.take('10.0.0.1')).to.deep.equal({ ok: true });
    expect(budget.peek('10.0.0.1')).to.deep.equal({ ok: false, retryAfterS: 60 });
    clock.advance(30_000);
    expect(budget.peek('10.0.0.1')).to.deep.equal({ ok: false, retryAfterS: 30 });
    clock.advance(30_000);
    expect(budget.peek('10.0.0.1')).to.deep.equal({ ok: true });
    expect(budget.take('10.0.0.1')).to.deep.equal({ ok: true });
  });

  it('tracks at most maxSources addresses, forgetting the least recently seen first', () => {
    const clock = clockAt();
    const budget = createRefusalBudget({ perMinute: 1, clock, maxSources: 2 });
    expect(budget.take('a').ok).to.equal(true);
    expect(budget.take('b').ok).to.equal(true);
    expect(budget.take('a').ok).to.equal(false); // a is now the most recently seen
    expect(budget.take('c').ok).to.equal(true); // b is forgotten
    expect(budget.take('a').ok).to.equal(false); // a is still remembered, and still spent
    expect(budget.take('b').ok).to.equal(true); // b starts again with a full budget
  });
});
