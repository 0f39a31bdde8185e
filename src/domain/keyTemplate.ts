/**
 * Templates that name things after an event: the S3 object key (`key_template`) and the Kinesis partition key
 * (`partition_key_template`). Syntax: literal text with `{variable}` placeholders —
 * `{event_id}`, `{event_type}`, `{created_at}` (ISO 8601), `{date}` (YYYY-MM-DD), `{year}`, `{month}`, `{day}`,
 * `{hour}`, `{minute}` (UTC, zero-padded) and `{data.<path>}` (a string, number or boolean inside the event's
 * `data`, path segments separated by dots). Nothing depends on the attempt, so a retry writes the same key.
 * Pure: parsing is strict (so a bad template is refused when saved), rendering takes the event.
 */

type Part = { literal: string } | { variable: string; path?: string[] };

export interface KeyTemplate {
  source: string;
  parts: Part[];
  /** True when some placeholder reads the event's `data` (the body must be parsed). */
  readsData: boolean;
}

export const TEMPLATE_VARIABLES = ['event_id', 'event_type', 'created_at', 'date', 'year', 'month', 'day', 'hour', 'minute'] as const;

export class TemplateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TemplateError';
  }
}

const PATH_SEGMENT = /^[A-Za-z0-9_-]+$/;

export function parseKeyTemplate(source: string): KeyTemplate {
  const parts: Part[] = [];
  let readsData = false;
  let rest = source;
  while (rest !== '') {
    const open = rest.indexOf('{');
    const close = rest.indexOf('}');
    if (close !== -1 && (open === -1 || close < open)) throw new TemplateError('has a "}" without a matching "{"');
    if (open === -1) {
      parts.push({ literal: rest });
      break;
    }
    if (open > 0) parts.push({ literal: rest.slice(0, open) });
    if (close === -1) throw new TemplateError('has a "{" without a matching "}"');
    const name = rest.slice(open + 1, close).trim();
    if (name.startsWith('data.')) {
      const path = name.slice(5).split('.');
      if (path.some((segment) => !PATH_SEGMENT.test(segment))) throw new TemplateError(`has a bad data path {${name}} (use {data.field.subfield}: letters, digits, "_" and "-")`);
      parts.push({ variable: 'data', path });
      readsData = true;
    } else if ((TEMPLATE_VARIABLES as readonly string[]).includes(name)) {
      parts.push({ variable: name });
    } else {
      throw new TemplateError(`uses an unknown variable {${name}} (known: ${TEMPLATE_VARIABLES.map((v) => `{${v}}`).join(', ')}, {data.<path>})`);
    }
    rest = rest.slice(close + 1);
  }
  return { source, parts, readsData };
}

export interface TemplateEvent {
  eventId: string;
  eventType: string;
  /** ms since epoch. */
  createdAt: number;
  /** The event's `data` (only read when the template has `{data.…}`). */
  data?: unknown;
}

function pad(value: number): string {
  return String(value).padStart(2, '0');
}

function dataValue(data: unknown, path: string[]): string {
  let node: unknown = data;
  for (const segment of path) {
    if (typeof node !== 'object' || node === null || !Object.prototype.hasOwnProperty.call(node, segment)) {
      throw new TemplateError(`{data.${path.join('.')}} is not in the event`);
    }
    node = (node as Record<string, unknown>)[segment];
  }
  if (typeof node === 'string' || typeof node === 'number' || typeof node === 'boolean') return String(node);
  throw new TemplateError(`{data.${path.join('.')}} is not a string, number or boolean`);
}

export function renderKeyTemplate(template: KeyTemplate, event: TemplateEvent): string {
  const at = new Date(event.createdAt);
  const date = `${at.getUTCFullYear()}-${pad(at.getUTCMonth() + 1)}-${pad(at.getUTCDate())}`;
  const values: Record<string, string> = {
    event_id: event.eventId,
    event_type: event.eventType,
    created_at: at.toISOString(),
    date,
    year: String(at.getUTCFullYear()),
    month: pad(at.getUTCMonth() + 1),
    day: pad(at.getUTCDate()),
    hour: pad(at.getUTCHours()),
    minute: pad(at.getUTCMinutes()),
  };
  return template.parts
    .map((part) => {
      if ('literal' in part) return part.literal;
      if (part.variable === 'data') return dataValue(event.data, part.path ?? []);
      return values[part.variable] ?? '';
    })
    .join('');
}
