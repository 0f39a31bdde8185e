// kinesalite ships no types; the tests use only its factory, which returns a plain http.Server.
declare module 'kinesalite' {
  import type { Server } from 'node:http';
  export default function kinesalite(options?: { createStreamMs?: number; deleteStreamMs?: number; updateStreamMs?: number; shardLimit?: number; ssl?: boolean; path?: string }): Server;
}
