/** The demo participants and citizen the bench plays (PROTOCOL.md §7), with their keys in certs-example/. */
import { fromRoot } from '../../gateway/paths.js';

export const GATEWAY_ID = 'oog:demo-gateway';
export const WOHNGELD = 'ags:09999001';
export const ELTERNGELD = 'ags:09999002';
export const MELDEBEHOERDE = 'mld:09999001';
export const ERIKA = '93141705862';
export const participants = fromRoot('certs-example/participants.json');
