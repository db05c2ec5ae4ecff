/**
 * Reads a request body with a hard limit (issue 11, SECURITY.md "HTTP"). body-parser answered an oversize body
 * only after reading all of it (it drains the request before passing on its error), so a `Content-Length: 200 MB`
 * cost 200 MB of reading. Here a declared length over the limit is refused before one byte is read, a streamed
 * (chunked) body as soon as it passes the limit; either way the answer is 413 ERR_TOO_LARGE and the connection
 * is closed after it, so the rest is never read.
 */
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { GatewayError } from '../core/index.js';

/**
 * After this answer the server closes the connection instead of reading (and discarding) the rest of the body,
 * as Node does on a keep-alive connection. For any answer given before the request body was read to its end.
 */
export function closeAfterAnswer(req: Request, res: Response): void {
  if (req.complete || res.headersSent) return;
  res.setHeader('Connection', 'close');
  // Stop reading now; Node ends the socket once the answer is written (the answer says `Connection: close`).
  req.pause();
}

function tooLarge(req: Request, res: Response, limit: number): GatewayError {
  closeAfterAnswer(req, res);
  return new GatewayError('ERR_TOO_LARGE', `the request body is over the limit of ${limit} bytes`);
}

/** The body as bytes, or a refusal; `limit` in bytes. */
function readBytes(req: Request, res: Response, limit: number): Promise<Buffer> {
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > limit) return Promise.reject(tooLarge(req, res, limit));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let length = 0;
    const done = (error?: GatewayError): void => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('aborted', onAborted);
      req.off('error', onAborted);
      if (error) reject(error);
      else resolve(Buffer.concat(chunks, length));
    };
    const onData = (chunk: Buffer): void => {
      length += chunk.length;
      if (length > limit) done(tooLarge(req, res, limit));
      else chunks.push(chunk);
    };
    const onEnd = (): void => done();
    const onAborted = (): void =>
      done(new GatewayError('ERR_REQUEST_MALFORMED', 'the request body was not received intact'));
    req.on('data', onData);
    req.once('end', onEnd);
    req.once('aborted', onAborted);
    req.once('error', onAborted);
  });
}

/** Raw bytes as `req.body` (application/jose, application/xml: the signature is checked over them). */
export function rawBody(limit: number): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    readBytes(req, res, limit).then((bytes) => {
      req.body = bytes;
      next();
    }, next);
  };
}

const UTF8 = new TextDecoder('utf-8', { fatal: true });
/** RFC 8259 whitespace, then the first character: only an object or an array is a request body. */
const FIRST = /^[\x20\x09\x0a\x0d]*([^\x20\x09\x0a\x0d])/;

/**
 * Parsed JSON as `req.body`: UTF-8 only (invalid bytes refused, not replaced), an object or an array at the top,
 * `reviver` applied; an empty body is `{}` (validation then names what is missing). Malformed → 400.
 */
export function jsonBody(limit: number, reviver: (key: string, value: unknown) => unknown): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    readBytes(req, res, limit).then((bytes) => {
      try {
        const text = UTF8.decode(bytes);
        if (text.length === 0) {
          req.body = {};
        } else {
          const first = FIRST.exec(text)?.[1];
          if (first !== '{' && first !== '[') throw new SyntaxError('not a JSON object or array');
          req.body = JSON.parse(text, reviver) as unknown;
        }
      } catch (error) {
        next(new GatewayError('ERR_REQUEST_MALFORMED', 'the body is not parseable JSON', { cause: error }));
        return;
      }
      next();
    }, next);
  };
}
