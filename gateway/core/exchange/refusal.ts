/**
 * What Exchange.submit throws: the refusal itself, carrying the exchange it ended and the sender the message
 * named, so an outer layer can answer that sender in its own format (an XÖV `rueckweisung`, docs/xoev.md)
 * without keeping a side table of who sent what.
 */
import { GatewayError } from '../errors.js';

/** Who a refused message says it came from. Verified once the envelope was read; before that only claimed. */
export interface ClaimedSender {
  /** The sender's participant id (`iss` / `autor`). */
  readonly id: string;
  /** Its message id (`jti` / `nachrichtenUUID`), when it could be read. */
  readonly messageId?: string;
}

/**
 * A GatewayError with the code, detail, status, Retry-After and cause of the stage that refused, plus the
 * exchange id and the (claimed) sender; `sender` is undefined when nothing named one (an unframeable message, an
 * address refused before its message was read).
 */
export class ExchangeRefusal extends GatewayError {
  readonly exchangeId: string;
  readonly sender: ClaimedSender | undefined;

  constructor(
    refusal: GatewayError,
    context: { readonly exchangeId: string; readonly sender?: ClaimedSender },
  ) {
    super(refusal.code, refusal.detail, {
      cause: refusal.cause,
      status: refusal.status,
      retryAfterS: refusal.retryAfterS,
    });
    this.name = 'ExchangeRefusal';
    // Where the stage refused, not where the exchange passed the refusal on.
    if (refusal.stack !== undefined) this.stack = refusal.stack;
    this.exchangeId = context.exchangeId;
    this.sender = context.sender;
  }
}
