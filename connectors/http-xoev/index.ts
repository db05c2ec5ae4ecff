export { createHttpXoevConnector, DEFAULT_MAX_XOEV_RESPONSE_BYTES } from './create-http-xoev-connector.js';
export type { HttpXoevConnector, HttpXoevConnectorOptions } from './create-http-xoev-connector.js';
