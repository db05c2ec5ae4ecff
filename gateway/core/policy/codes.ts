/** Shapes of the codes policies and consents use (schemas/policy.schema.json `$defs`). ASCII only. */

const CODE = /^[a-z][a-z0-9-]{0,63}$/;
const FIELD = /^[a-z][A-Za-z0-9_]{0,63}$/;

/** True for an evidence type or purpose code such as `meldebescheinigung` or `wohngeld-antrag`. */
export function isCode(value: unknown): value is string {
  return typeof value === 'string' && CODE.test(value);
}

/** True for an evidence field name such as `staatsangehoerigkeit`. */
export function isFieldName(value: unknown): value is string {
  return typeof value === 'string' && FIELD.test(value);
}
