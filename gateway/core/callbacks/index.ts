/** Callbacks to consumers (issue 5 item 4, docs/callbacks.md): the event, its signature, retry timing. */
export { callbackBody, checkCallbackEvent } from './callback-event.js';
export { retryDelayMs } from './retry-delay.js';
export type { RetrySchedule } from './retry-delay.js';
export {
  CALLBACK_AUTHENTICATION_HEADER,
  CALLBACK_TIMESTAMP_HEADER,
  CALLBACK_WINDOW_S,
  MIN_CALLBACK_SECRET_LENGTH,
  signCallback,
  verifyCallback,
} from './sign-callback.js';
export type { CallbackHeaders, VerifyCallbackInput } from './sign-callback.js';
export type { CallbackEvent, CallbackEventType, CallbackNotifier, CallbackStatus } from '../ports.js';
