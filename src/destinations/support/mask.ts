/**
 * How credentials appear in API answers: enough to recognise a secret (its known prefix and last four
 * characters), never enough to use it. Short secrets show nothing at all: four characters of eight is half of it.
 */

/** Secrets shorter than this (after the prefix) are hidden completely. */
const MIN_LENGTH_TO_HINT = 16;
const HIDDEN = '********';

/** `whsec_…abcd` for `maskSecret(secret, 'whsec_')`; `…wxyz` without a prefix; `********` when short. */
export function maskSecret(value: string, knownPrefix = ''): string {
  const prefix = knownPrefix !== '' && value.startsWith(knownPrefix) ? knownPrefix : '';
  const rest = value.slice(prefix.length);
  if (rest.length < MIN_LENGTH_TO_HINT) return `${prefix}${HIDDEN}`;
  return `${prefix}…${rest.slice(-4)}`;
}
