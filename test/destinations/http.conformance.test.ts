import assert from 'node:assert/strict';
import { hookdeck } from '../../src/destinations/hookdeck/index.js';
import { webhook } from '../../src/destinations/webhook/index.js';
import { destinationConformance } from './conformance.js';
import { startHookdeckPeer, startWebhookPeer } from './peers/http.js';

destinationConformance('webhook (a real HTTP receiver)', async () => {
  const peer = await startWebhookPeer();
  return {
    type: webhook,
    validInput: { config: { url: 'https://example.com/hooks', custom_headers: { 'x-a': 'b' } }, credentials: { secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' } },
    badConfig: [
      [{}, 'webhook.url'],
      [{ url: 'javascript:alert(1)' }, 'webhook.url'],
      [{ url: 'https://example.com', custom_headers: 'x' }, 'webhook.custom_headers'],
      [{ url: 'https://example.com', custom_headers: { 'content-length': '1' } }, 'webhook.custom_headers.content-length'],
    ],
    badCredentials: [
      [{ secret: 'plain' }, 'webhook.secret'],
      [{ secret: `whsec_${'A'.repeat(5000)}` }, 'webhook.secret'],
    ],
    secretValues: (credentials) => [credentials.secret, credentials.secret.slice(6)],
    newTarget: () => peer.newTarget(),
    missingTarget: () => peer.missingTarget(),
    downTarget: () => peer.downTarget(),
    restart: () => peer.restart(),
    connections: () => peer.connections(),
    close: () => peer.close(),
  };
});

destinationConformance("hookdeck (Sluice's own ingest standing in for a Hookdeck source)", async () => {
  const peer = await startHookdeckPeer();
  return {
    type: hookdeck,
    validInput: { config: { endpoint: 'https://hkdk.events' }, credentials: { token: 'src_abcdefghijklmnop1234' } },
    badConfig: [
      [{ endpoint: 'ftp://hkdk.events' }, 'hookdeck.endpoint'],
      [{ endpoint: 'https://hkdk.events/?q=1' }, 'hookdeck.endpoint'],
    ],
    badCredentials: [
      [{}, 'hookdeck.token'],
      [{ token: '../../admin' }, 'hookdeck.token'],
      [{ token: 'a b' }, 'hookdeck.token'],
    ],
    secretValues: (credentials) => [credentials.token],
    newTarget: () => peer.newTarget(),
    missingTarget: () => peer.missingTarget(),
    downTarget: () => peer.downTarget(),
    restart: () => peer.restart(),
    connections: () => peer.connections(),
    checkMetadata(message, arrived) {
      for (const [key, value] of Object.entries(message.metadata)) assert.equal(arrived.metadata[key], value, `x-sluice-${key}`);
      assert.equal(arrived.metadata['attempt-count'], '1');
    },
    close: () => peer.close(),
  };
});
