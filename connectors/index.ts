/**
 * The connectors (DESIGN.md "connectors"): each implements the core's Connector port. The demo providers they
 * reach in demo mode are not connectors: they are in demo-registers/.
 */
export { createHttpJsonConnector, DEFAULT_MAX_RESPONSE_BYTES } from './http-json/index.js';
export type { HttpJsonConnector, HttpJsonConnectorOptions } from './http-json/index.js';
