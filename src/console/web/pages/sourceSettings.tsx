/**
 * The source form's verification and rate-limit sections (the API's `config.auth_type` + `config.auth`, and
 * `config.rate_limit` + `config.rate_limit_period`), and how they become the body's `config` fields. Secrets are
 * never shown again by the API: on edit an empty secret field keeps the stored one while the type stays the same.
 */
import { useState } from 'preact/hooks';
import type { Source } from '../api';
import { Field, formValue, Select } from '../components';

const AUTH_TYPES = [
  { value: '', label: 'None' },
  { value: 'HMAC', label: 'HMAC signature' },
  { value: 'BASIC_AUTH', label: 'Basic auth' },
  { value: 'API_KEY', label: 'API key' },
  { value: 'STRIPE', label: 'Stripe' },
  { value: 'GITHUB', label: 'GitHub' },
  { value: 'SHOPIFY', label: 'Shopify' },
];
const options = (values: string[]) => values.map((value) => ({ value, label: value }));
const PERIODS = options(['second', 'minute', 'hour']);

/** The form fields each type sends (read by name at submit); secrets are sent only when typed. */
const FIELDS: Record<string, { plain: string[]; secret: string }> = {
  HMAC: { plain: ['algorithm', 'encoding', 'header_key'], secret: 'secret' },
  BASIC_AUTH: { plain: ['username'], secret: 'password' },
  API_KEY: { plain: ['header_key'], secret: 'api_key' },
  STRIPE: { plain: [], secret: 'secret' },
  GITHUB: { plain: [], secret: 'secret' },
  SHOPIFY: { plain: [], secret: 'secret' },
};

function SecretField({ label, name, stored }: { label: string; name: string; stored: string | undefined }) {
  return (
    <Field
      label={label}
      name={`auth.${name}`}
      type="password"
      autoComplete="new-password"
      required={stored === undefined}
      hint={stored === undefined ? 'Never shown again once saved' : `Stored (${stored}); leave empty to keep it`}
    />
  );
}

function TypeFields({ type, auth }: { type: string; auth: Record<string, string> | null }) {
  const value = (name: string) => auth?.[name];
  switch (type) {
    case 'HMAC':
      return (
        <>
          <Field label="Signature header" name="auth.header_key" required defaultValue={value('header_key')} placeholder="x-signature" />
          <Select label="Algorithm" name="auth.algorithm" options={options(['sha256', 'sha1', 'sha512'])} defaultValue={value('algorithm') ?? 'sha256'} />
          <Select label="Encoding" name="auth.encoding" options={options(['hex', 'base64', 'base64url'])} defaultValue={value('encoding') ?? 'hex'} />
          <SecretField label="Signing secret" name="secret" stored={value('secret')} />
        </>
      );
    case 'BASIC_AUTH':
      return (
        <>
          <Field label="User name" name="auth.username" required defaultValue={value('username')} autoComplete="off" />
          <SecretField label="Password" name="password" stored={value('password')} />
        </>
      );
    case 'API_KEY':
      return (
        <>
          <Field label="Key header" name="auth.header_key" defaultValue={value('header_key')} placeholder="x-api-key" hint="Default x-api-key; authorization takes a Bearer key" />
          <SecretField label="Key" name="api_key" stored={value('api_key')} />
        </>
      );
    case 'STRIPE':
    case 'GITHUB':
    case 'SHOPIFY':
      return <SecretField label="Signing secret" name="secret" stored={value('secret')} />;
    default:
      return null;
  }
}

/** Verification: the type, then the fields of that type (the stored settings when the type is unchanged). */
export function VerificationFields({ source }: { source: Source | null }) {
  const current = source?.config.auth_type ?? '';
  const [type, setType] = useState(current);
  return (
    <fieldset>
      <legend>Verification</legend>
      <Select
        label="Verify requests with"
        name="auth_type"
        options={AUTH_TYPES}
        defaultValue={current}
        onChange={(event) => setType(event.currentTarget.value)}
        hint="Requests without valid proof are answered 403 and recorded"
      />
      <TypeFields type={type} auth={type === current ? (source?.config.auth ?? null) : null} key={type} />
    </fieldset>
  );
}

/** Ingest rate limit: requests per period; empty = no limit. */
export function RateLimitFields({ source }: { source: Source | null }) {
  const limit = source?.config.rate_limit ?? null;
  return (
    <fieldset>
      <legend>Rate limit</legend>
      <Field
        label="Requests per period"
        name="rate_limit"
        type="number"
        min={1}
        max={1000000}
        defaultValue={limit === null ? '' : String(limit)}
        hint="Beyond it ingest answers 429 with Retry-After; empty: no limit"
      />
      <Select label="Period" name="rate_limit_period" options={PERIODS} defaultValue={source?.config.rate_limit_period ?? 'second'} />
    </fieldset>
  );
}

/** The `config` fields of both sections, as the API takes them (null removes a setting). */
export function settingsBody(form: HTMLFormElement): Record<string, unknown> {
  const type = formValue(form, 'auth_type');
  const limit = formValue(form, 'rate_limit');
  const rateLimit = limit === '' ? { rate_limit: null } : { rate_limit: Number(limit), rate_limit_period: formValue(form, 'rate_limit_period') };
  const fields = FIELDS[type];
  if (fields === undefined) return { auth_type: null, auth: null, ...rateLimit };
  const auth: Record<string, string> = {};
  for (const name of [...fields.plain, fields.secret]) {
    const value = formValue(form, `auth.${name}`);
    if (value !== '') auth[name] = value;
  }
  return { auth_type: type, auth, ...rateLimit };
}
