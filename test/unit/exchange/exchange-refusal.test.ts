import { expect } from 'chai';
import { GatewayError } from '../../../gateway/core/errors.js';
import { ExchangeRefusal } from '../../../gateway/core/exchange/index.js';

describe('ExchangeRefusal', () => {
  it('keeps the code, status, detail, Retry-After and cause of the refusal it carries, with exchange and sender', () => {
    const cause = new Error('inner');
    const refusal = new GatewayError('ERR_RATE_LIMITED', 'slow down', { cause, retryAfterS: 7 });
    const carried = new ExchangeRefusal(refusal, {
      exchangeId: 'ex-1',
      sender: { id: 'ags:09999001', messageId: 'm-1' },
    });
    expect(carried).to.be.instanceOf(GatewayError);
    expect(carried).to.include({
      code: 'ERR_RATE_LIMITED',
      status: 429,
      detail: 'slow down',
      retryAfterS: 7,
    });
    expect(carried.cause).to.equal(cause);
    expect(carried.exchangeId).to.equal('ex-1');
    expect(carried.sender).to.deep.equal({ id: 'ags:09999001', messageId: 'm-1' });
  });
});
