import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { azureServicebus } from '../../src/destinations/azure_servicebus/index.js';
import { destinationConformance } from './conformance.js';
import { expectOutcome, options, outboundMessage } from './outbound.js';
import { connectionString, startServiceBusFake } from './peers/serviceBusFake.js';

destinationConformance('azure_servicebus (in-process AMQP 1.0 fake built with rhea)', async () => {
  const fake = await startServiceBusFake();
  return {
    type: azureServicebus,
    validInput: {
      config: { name: 'events' },
      credentials: { connection_string: 'Endpoint=sb://my-ns.servicebus.windows.net/;SharedAccessKeyName=Send;SharedAccessKey=abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG=' },
    },
    badConfig: [
      [{}, 'azure_servicebus.name'],
      [{ name: '../x' }, 'azure_servicebus.name'],
      [{ name: 'a b' }, 'azure_servicebus.name'],
      [{ name: 'x'.repeat(300) }, 'azure_servicebus.name'],
    ],
    badCredentials: [
      [{}, 'azure_servicebus.connection_string'],
      [{ connection_string: 'Endpoint=https://my-ns.servicebus.windows.net/;SharedAccessKeyName=a;SharedAccessKey=b' }, 'azure_servicebus.connection_string'],
      [{ connection_string: 'Endpoint=sb://my-ns.servicebus.windows.net/;SharedAccessKeyName=a' }, 'azure_servicebus.connection_string'],
      [{ connection_string: 'nonsense' }, 'azure_servicebus.connection_string'],
    ],
    secretValues: (credentials) => [credentials.connection_string.split('SharedAccessKey=')[1]?.split(';')[0] ?? ''],
    newTarget: () => fake.newTarget(),
    missingTarget: () => fake.missingTarget(),
    downTarget: () => fake.downTarget(),
    restart: () => fake.restart(),
    connections: () => fake.proxy.connections(),
    multiplexed: true,
    checkMetadata(message, arrived) {
      for (const [key, value] of Object.entries(message.metadata)) assert.equal(arrived.metadata[key], value, `application property ${key}`);
      const sent = fake.recorded.find((m) => m.messageId === message.eventId);
      assert.equal(sent?.subject, message.eventType);
      assert.equal(sent?.contentType, 'application/json');
      assert.ok(fake.tokenPuts() > 0, 'the SDK authorised through $cbs');
    },
    close: () => fake.close(),
  };
});

describe('azure_servicebus specifics', () => {
  it('masks the key but keeps the endpoint and key name readable', () => {
    const masked = azureServicebus.maskCredentials({ connection_string: connectionString(5672, 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG=') });
    assert.equal(masked.connection_string, 'Endpoint=sb://127.0.0.1:5672;SharedAccessKeyName=RootManageSharedAccessKey;SharedAccessKey=…EFG=;UseDevelopmentEmulator=true');
  });
});

// Opt-in: a real namespace. The test reads the variable; Sluice itself never reads the environment.
const liveConnection = process.env.SLUICE_TEST_AZURE_SERVICEBUS_CONNECTION_STRING;
const liveName = process.env.SLUICE_TEST_AZURE_SERVICEBUS_NAME;
const liveSkip = liveConnection && liveName ? false : 'set SLUICE_TEST_AZURE_SERVICEBUS_CONNECTION_STRING and SLUICE_TEST_AZURE_SERVICEBUS_NAME to send to a real Service Bus queue or topic';

describe('azure_servicebus against the real service (opt-in)', () => {
  it('sends one event', { skip: liveSkip }, async () => {
    const publisher = azureServicebus.createPublisher({ outboundAllowlist: [], responseBodyLimit: 1000 });
    try {
      const target = {
        destinationId: 'evtd_live_servicebus',
        config: azureServicebus.parseConfig({ name: liveName }),
        credentials: azureServicebus.parseCredentials({ connection_string: liveConnection }, null, Date.now()),
      };
      expectOutcome(await publisher.publish(outboundMessage(), target, options({ timeoutMs: 30_000 })), 'success');
    } finally {
      await publisher.close();
    }
  });
});
