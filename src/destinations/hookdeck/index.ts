/**
 * The `hookdeck` destination type: each event POSTed to a Hookdeck source.
 */
import type { DestinationType } from '../types.js';
import { CONFIG_FIELDS, CREDENTIAL_FIELDS, maskHookdeckCredentials, parseHookdeckConfig, parseHookdeckCredentials, TYPE, type HookdeckConfig, type HookdeckCredentials } from './config.js';
import { HookdeckPublisher } from './publisher.js';

export const hookdeck: DestinationType<HookdeckConfig, HookdeckCredentials> = {
  type: TYPE,
  label: 'Hookdeck',
  description: 'POSTs each event as JSON to a Hookdeck source (https://hkdk.events/<token>), metadata as x-sluice-* headers.',
  configFields: CONFIG_FIELDS,
  credentialFields: CREDENTIAL_FIELDS,
  parseConfig: parseHookdeckConfig,
  parseCredentials: (input, previous) => parseHookdeckCredentials(input, previous),
  maskCredentials: maskHookdeckCredentials,
  createPublisher: (deps) => new HookdeckPublisher(deps),
};
