import { expect } from 'chai';
import { createAnswerMemory, type RememberedAnswer } from '../../../demo-registers/server/answer-memory.js';
import { refusalOf } from '../envelope/fake-trust.js';

const T0 = 1_800_000_000_000;

/** A producer that counts its calls and answers with a body naming the call. */
function counter() {
  let calls = 0;
  return {
    get calls() {
      return calls;
    },
    produce: (): Promise<RememberedAnswer> => {
      calls++;
      return Promise.resolve({ status: 200, contentType: 'application/jose', body: `answer ${calls}` });
    },
  };
}

function request(body: string, messageId = 'm1', sender = 'oog:demo-gateway', untilMs = T0 + 90_000) {
  return { sender, messageId, body, untilMs };
}

describe('createAnswerMemory', function () {
  it('gives the same bytes under the same sender and id the first answer again, producing it once', async function () {
    const memory = createAnswerMemory();
    const producer = counter();
    const first = await memory.answerOnce(request('a.b.c'), T0, producer.produce);
    const again = await memory.answerOnce(request('a.b.c'), T0 + 1_000, producer.produce);
    expect(again).to.deep.equal(first);
    expect(producer.calls).to.equal(1);
  });

  it('refuses other bytes under an id already answered with ERR_REPLAY, but not under another sender', async function () {
    const memory = createAnswerMemory();
    const producer = counter();
    await memory.answerOnce(request('a.b.c'), T0, producer.produce);
    const error = await refusalOf(memory.answerOnce(request('a.b.X'), T0, producer.produce));
    expect(error.code).to.equal('ERR_REPLAY');
    const other = await memory.answerOnce(request('a.b.X', 'm1', 'oog:other-gateway'), T0, producer.produce);
    expect(other.body).to.equal('answer 2');
  });

  it('forgets an answer when its request turns stale, and then counts it no more against the bound', async function () {
    const memory = createAnswerMemory(1);
    const producer = counter();
    await memory.answerOnce(request('a.b.c'), T0, producer.produce);
    const full = await refusalOf(memory.answerOnce(request('d.e.f', 'm2'), T0 + 30_000, producer.produce));
    expect([full.code, full.retryAfterS]).to.deep.equal(['ERR_RATE_LIMITED', 60]);
    const later = await memory.answerOnce(
      request('a.b.X', 'm1', undefined, T0 + 200_000),
      T0 + 90_000,
      producer.produce,
    );
    expect(later.body).to.equal('answer 2');
    expect(memory.size).to.equal(1);
  });
});
