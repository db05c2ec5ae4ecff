/** The compiled JSON Schemas of policies and policy tests (JSON Schema 2020-12, ajv in strict mode). */
import { Ajv2020 } from 'ajv/dist/2020.js';
import policySchema from '../../../schemas/policy.schema.json' with { type: 'json' };
import policyTestSchema from '../../../schemas/policy-test.schema.json' with { type: 'json' };

const ajv = new Ajv2020({ allErrors: true, strict: true, useDefaults: true });

export const validatePolicyDocument = ajv.compile(policySchema);
export const validatePolicyTestDocument = ajv.compile(policyTestSchema);
