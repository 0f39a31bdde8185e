import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { gcpPubsub } from '../../src/destinations/gcp_pubsub/index.js';
import { destinationConformance } from './conformance.js';
import { expectOutcome, options, outboundMessage } from './outbound.js';
import { fakeServiceAccountJson, startPubsubFake } from './peers/pubsubFake.js';

const serviceAccount = fakeServiceAccountJson();

destinationConformance('gcp_pubsub (in-process gRPC fake built on the SDK pubsub.proto)', async () => {
  const fake = await startPubsubFake();
  return {
    type: gcpPubsub,
    validInput: { config: { project_id: 'my-project-1', topic: 'events' }, credentials: { service_account_json: serviceAccount } },
    badConfig: [
      [{ topic: 'events' }, 'gcp_pubsub.project_id'],
      [{ project_id: 'My Project', topic: 'events' }, 'gcp_pubsub.project_id'],
      [{ project_id: 'my-project-1' }, 'gcp_pubsub.topic'],
      [{ project_id: 'my-project-1', topic: 'googevents' }, 'gcp_pubsub.topic'],
      [{ project_id: 'my-project-1', topic: 'a/b' }, 'gcp_pubsub.topic'],
      [{ project_id: 'my-project-1', topic: 'events', endpoint: 'http://h:1/path' }, 'gcp_pubsub.endpoint'],
    ],
    badCredentials: [
      [{}, 'gcp_pubsub.service_account_json'],
      [{ service_account_json: 'not json' }, 'gcp_pubsub.service_account_json'],
      [{ service_account_json: '{"type":"authorized_user"}' }, 'gcp_pubsub.service_account_json'],
      [{ service_account_json: { type: 'service_account' } }, 'gcp_pubsub.service_account_json'],
    ],
    secretValues: (credentials) => {
      const key = JSON.parse(credentials.service_account_json) as { private_key: string; private_key_id: string };
      return [credentials.service_account_json, key.private_key, key.private_key.split('\n')[1] ?? '', key.private_key_id];
    },
    newTarget: () => fake.newTarget(),
    missingTarget: () => fake.missingTarget(),
    downTarget: () => fake.downTarget(),
    restart: () => fake.restart(),
    connections: () => fake.proxy.connections(),
    multiplexed: true,
    close: () => fake.close(),
  };
});

// Opt-in: a real topic. Set all three to run it (the test reads them; Sluice itself never reads the environment).
const live = {
  project: process.env.SLUICE_TEST_GCP_PROJECT_ID,
  topic: process.env.SLUICE_TEST_GCP_TOPIC,
  key: process.env.SLUICE_TEST_GCP_SERVICE_ACCOUNT_JSON,
};
const liveSkip = live.project && live.topic && live.key ? false : 'set SLUICE_TEST_GCP_PROJECT_ID, SLUICE_TEST_GCP_TOPIC and SLUICE_TEST_GCP_SERVICE_ACCOUNT_JSON to publish to a real Pub/Sub topic';

describe('gcp_pubsub against the real service (opt-in)', () => {
  it('publishes one event', { skip: liveSkip }, async () => {
    const publisher = gcpPubsub.createPublisher({ outboundAllowlist: [], responseBodyLimit: 1000 });
    try {
      const target = {
        destinationId: 'evtd_live_pubsub',
        config: gcpPubsub.parseConfig({ project_id: live.project, topic: live.topic }),
        credentials: gcpPubsub.parseCredentials({ service_account_json: live.key }, null, Date.now()),
      };
      const outcome = expectOutcome(await publisher.publish(outboundMessage(), target, options({ timeoutMs: 15_000 })), 'success');
      assert.match(outcome.body ?? '', /^messageId: /);
    } finally {
      await publisher.close();
    }
  });
});
