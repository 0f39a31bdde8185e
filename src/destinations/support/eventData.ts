/**
 * The `data` of a seed-000 event, read from the message body for templates that use `{data.…}`; undefined when
 * the body is not a JSON object (the template then reports the path as missing).
 */
import type { OutboundMessage } from '../types.js';

export function eventData(message: OutboundMessage): unknown {
  try {
    const parsed = JSON.parse(message.body.toString('utf8')) as unknown;
    return typeof parsed === 'object' && parsed !== null ? (parsed as { data?: unknown }).data : undefined;
  } catch {
    return undefined;
  }
}
