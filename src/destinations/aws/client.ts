/**
 * AWS SDK v3 clients for the AWS types: one client per destination, built on first use and reused (its keep-alive
 * sockets with it) until the destination's settings change or it is evicted. Every client makes exactly one try
 * (`maxAttempts: 1`: retries are the dispatcher's), takes its credentials only from the destination (never the
 * environment or instance metadata), and connects over HTTP/1.1 through agents whose DNS lookup is the SSRF guard's.
 */
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { HostGuard } from '../support/hostGuard.js';
import type { AwsCredentials } from './credentials.js';

export interface AwsClientSettings {
  region: string;
  endpoint?: string;
  credentials: AwsCredentials;
}

/** What every AWS client constructor takes here. */
export function awsClientConfig(settings: AwsClientSettings, guard: HostGuard) {
  const agentOptions = { keepAlive: true, maxSockets: 50, lookup: guard.lookup };
  return {
    region: settings.region,
    ...(settings.endpoint === undefined ? {} : { endpoint: settings.endpoint }),
    credentials: {
      accessKeyId: settings.credentials.key,
      secretAccessKey: settings.credentials.secret,
      ...(settings.credentials.session === undefined ? {} : { sessionToken: settings.credentials.session }),
    },
    maxAttempts: 1,
    // HTTP/1.1 explicitly: the Kinesis client defaults to HTTP/2 (for SubscribeToShard), which emulators and
    // the guard's agents do not speak; PutRecord works the same over either.
    requestHandler: new NodeHttpHandler({
      httpAgent: new HttpAgent(agentOptions),
      httpsAgent: new HttpsAgent(agentOptions),
      connectionTimeout: 10_000,
    }),
  };
}
