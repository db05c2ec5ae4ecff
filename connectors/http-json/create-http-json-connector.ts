/**
 * The HTTP/JSON connector (PROTOCOL.md §2): the gateway's forwarded compact JWS goes out as application/jose,
 * and an application/jose answer comes back for the core to verify. Transport behaviour (no redirects, no
 * decompression, size and time limits, error mapping) is the shared HTTP transport's.
 */
import { createHttpConnector, DEFAULT_MAX_RESPONSE_BYTES } from '../http-transport/create-http-connector.js';
import type { HttpConnector, HttpConnectorOptions } from '../http-transport/create-http-connector.js';

export { DEFAULT_MAX_RESPONSE_BYTES };
export type HttpJsonConnectorOptions = HttpConnectorOptions;
export interface HttpJsonConnector extends HttpConnector {
  readonly kind: 'http-json';
}

/** Builds the `http-json` Connector; throws what createHttpConnector throws. */
export function createHttpJsonConnector(options: HttpJsonConnectorOptions): HttpJsonConnector {
  return createHttpConnector(
    {
      kind: 'http-json',
      format: 'json',
      mediaType: 'application/jose',
      requestContentType: 'application/jose',
    },
    options,
  ) as HttpJsonConnector;
}
