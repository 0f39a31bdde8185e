/**
 * Event metadata as HTTP headers for the HTTP-speaking outbound types (webhook, hookdeck): each pair becomes
 * `x-sluice-<key>` (`x-sluice-event-type`, `x-sluice-event-id`, `x-sluice-timestamp`, …), plus the attempt number,
 * so receivers can route and deduplicate without parsing the body.
 */
import { BAD_HEADER_VALUE } from '../http/configSchema.js';
import type { OutboundMessage } from '../types.js';

export const METADATA_HEADER_PREFIX = 'x-sluice-';

/** A metadata key as a header-name fragment: lower case, anything outside [a-z0-9-] turned into `-`. */
function headerKey(key: string): string {
  return key.toLowerCase().replace(/[^a-z0-9-]/g, '-');
}

export function metadataHeaders(message: OutboundMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(message.metadata)) {
    // A value with a line break would be refused by the HTTP client (and could split headers): flatten it.
    out[`${METADATA_HEADER_PREFIX}${headerKey(key)}`] = value.replace(new RegExp(BAD_HEADER_VALUE.source, 'g'), ' ');
  }
  out[`${METADATA_HEADER_PREFIX}attempt-count`] = String(message.attemptNumber);
  return out;
}
