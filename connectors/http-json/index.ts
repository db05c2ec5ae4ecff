export { createHttpJsonConnector, DEFAULT_MAX_RESPONSE_BYTES } from './create-http-json-connector.js';
export type { HttpJsonConnector, HttpJsonConnectorOptions } from './create-http-json-connector.js';
