/**
 * Turns a /v2/event-destinations body into what the store keeps: the `<type>` object (config and credential fields
 * together, as Deck's API takes them) validated by the catalog entry's parseConfig / parseCredentials, the
 * subscription validated by domain/subscription, and the credentials sealed (AES-256-GCM, bound to team and
 * destination). Decrypted credentials exist only inside these calls and the dispatcher; they are never logged.
 */
import { SluiceError } from '../../domain/errors.js';
import { eventDestinationSecretBinding, type Destination } from '../../domain/model.js';
import { decryptSecret, encryptSecret, type SecretKeyring } from '../../domain/secretBox.js';
import { parseSubscription } from '../../domain/subscription.js';
import type { DestinationType } from '../../destinations/types.js';
import { invalidField } from '../validation.js';
import type { EventDestinationBody } from './schemas.js';

export function sealCredentials(key: SecretKeyring, teamId: string, destinationId: string, credentials: Record<string, unknown>): string {
  return encryptSecret(key, JSON.stringify(credentials), eventDestinationSecretBinding(teamId, destinationId));
}

/** The stored credentials, decrypted; null when there are none or they cannot be read (key changed). */
export function openCredentials(key: SecretKeyring, destination: Destination): Record<string, unknown> | null {
  const sealed = destination.outbound?.credentials ?? null;
  if (sealed === null) return null;
  try {
    return JSON.parse(decryptSecret(key, sealed, eventDestinationSecretBinding(destination.teamId, destination.id))) as Record<string, unknown>;
  } catch {
    return null;
  }
}

/** The catalog entry for `type`, or a 422 that lists the types there are. */
export function typeNamed(types: readonly DestinationType[], type: string): DestinationType {
  const found = types.find((t) => t.type === type);
  if (found === undefined) {
    throw invalidField('type', `"${type.slice(0, 64)}" is not a destination type; use one of ${types.map((t) => t.type).join(', ')} (GET /v2/destination-types describes them)`);
  }
  return found;
}

/** Settings under another type's key are a mistake worth naming (`webhook` sent with `type: "aws_sqs"`). */
function refuseOtherTypeKeys(types: readonly DestinationType[], body: EventDestinationBody, type: string): void {
  for (const other of types) {
    if (other.type !== type && body[other.type] !== undefined) {
      throw invalidField(other.type, `belongs to ${other.type} destinations; this one is ${type}: send its settings under "${type}"`);
    }
  }
}

export interface ParsedCreate {
  type: DestinationType;
  config: Record<string, unknown>;
  credentials: Record<string, unknown>;
  subscription: string[];
}

export function parseCreate(types: readonly DestinationType[], body: EventDestinationBody, now: number): ParsedCreate {
  const type = typeNamed(types, body.type ?? '');
  refuseOtherTypeKeys(types, body, type.type);
  const settings = body[type.type] ?? {};
  return {
    type,
    config: type.parseConfig(settings),
    credentials: type.parseCredentials(settings, null, now),
    subscription: parseSubscription(body.events),
  };
}

export interface ParsedUpdate {
  config?: Record<string, unknown>;
  /** Set when the `<type>` object was sent (the type decides what its credentials become). */
  credentials?: Record<string, unknown>;
  subscription?: string[];
}

/**
 * A partial update: config fields sent are merged over the current config and the result validated as a whole;
 * the credentials are the type's to derive from what was sent and the stored ones (a webhook keeps its secret
 * when none is sent, and rotates it when asked).
 */
export function parseUpdate(
  types: readonly DestinationType[],
  current: Destination,
  storedCredentials: Record<string, unknown> | null,
  body: EventDestinationBody,
  now: number,
): ParsedUpdate {
  const type = typeNamed(types, current.type);
  if (body.type !== undefined && body.type !== current.type) {
    throw new SluiceError('VALIDATION_ERROR', `The type of an event destination cannot change (this one is ${current.type}). Create a new destination of type ${body.type}, then delete this one.`, [
      { location: 'body', field: 'type', message: `cannot change from ${current.type}` },
    ]);
  }
  refuseOtherTypeKeys(types, body, type.type);
  const parsed: ParsedUpdate = {};
  if (body.events !== undefined) parsed.subscription = parseSubscription(body.events);
  const settings = body[type.type];
  if (settings !== undefined) {
    if (typeof settings !== 'object' || settings === null || Array.isArray(settings)) throw invalidField(type.type, 'must be an object');
    parsed.config = type.parseConfig({ ...(current.outbound?.config ?? {}), ...settings });
    parsed.credentials = type.parseCredentials(settings, storedCredentials, now);
  }
  return parsed;
}
