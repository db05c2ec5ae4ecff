/** JSON Schema validation for envelope claims and evidence data (ajv, draft-07, compiled once at boot). */
import { Ajv, type ErrorObject } from 'ajv';
import addFormats from 'ajv-formats';

/** Validates a value; returns undefined if valid, else a safe detail (JSON pointer and keyword, no values). */
export type SchemaCheck = (value: unknown) => string | undefined;

/** The first ajv error as `<instancePath> <keyword>`: names only the place and the rule, never the value. */
function safeDetail(error: ErrorObject | undefined): string {
  if (error === undefined) return 'schema violation';
  return `${error.instancePath || '/'} ${error.keyword}`;
}

/**
 * Compiles a JSON Schema into a SchemaCheck with formats (`date`, …) enabled, in strict mode so a typo in a
 * schema fails at boot. Each call uses its own ajv instance, so equal `$id`s in different callers never clash.
 * Throws (ajv's Error) on an invalid schema — a configuration error, not a request error.
 */
export function compileSchema(schema: object): SchemaCheck {
  const ajv = new Ajv({ allErrors: false, strict: true });
  addFormats.default(ajv);
  const validate = ajv.compile(schema);
  return (value) => (validate(value) ? undefined : safeDetail(validate.errors?.[0]));
}
