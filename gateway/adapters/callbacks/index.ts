/** Callbacks to consumers (docs/callbacks.md): the dispatcher on the SQLite outbox, and its start-up. */
export { createCallbackDispatcher } from './create-callback-dispatcher.js';
export type { CallbackDispatcher, CallbackDispatcherOptions } from './create-callback-dispatcher.js';
export { startCallbacks } from './start-callbacks.js';
export type { CallbackSettings, StartCallbacksOptions } from './start-callbacks.js';
