/**
 * The HTTP/XÖV connector (PROTOCOL.md §2): the gateway's signed XÖV forwarded request
 * (`nachweisanfrage.weiterleitung.0102`) goes out as application/xml, and an application/xml answer comes back
 * for the core to verify (createXoevEvidenceVerifier). Transport behaviour is the shared HTTP transport's; an
 * answer that is not UTF-8 decodes with U+FFFD, which the XÖV gate refuses.
 */
import { createHttpConnector, DEFAULT_MAX_RESPONSE_BYTES } from '../http-transport/create-http-connector.js';
import type { HttpConnector, HttpConnectorOptions } from '../http-transport/create-http-connector.js';

export const DEFAULT_MAX_XOEV_RESPONSE_BYTES = DEFAULT_MAX_RESPONSE_BYTES;
export type HttpXoevConnectorOptions = HttpConnectorOptions;
export interface HttpXoevConnector extends HttpConnector {
  readonly kind: 'http-xoev';
}

/** Builds the `http-xoev` Connector; throws what createHttpConnector throws. */
export function createHttpXoevConnector(options: HttpXoevConnectorOptions): HttpXoevConnector {
  return createHttpConnector(
    {
      kind: 'http-xoev',
      format: 'xoev',
      mediaType: 'application/xml',
      requestContentType: 'application/xml; charset=utf-8',
    },
    options,
  ) as HttpXoevConnector;
}
