/**
 * What a child process is doing right now, read from Linux's /proc, for tests that must pick the process to kill:
 * its CPU time, and which of its TCP connections carry given requests. Everything degrades to "unknown" (null,
 * zero) where /proc cannot be read, so callers fall back to another choice.
 */
import { readdir, readFile, readlink } from 'node:fs/promises';

/** CPU time a process has used (user + system), in clock ticks; null where that cannot be read. */
export async function cpuTicks(pid: number | undefined): Promise<number | null> {
  if (pid === undefined) return null;
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return null;
  }
}

/** CPU ticks each process used over `sampleMs`. */
export async function cpuOver(pids: (number | undefined)[], sampleMs: number): Promise<number[]> {
  const before = await Promise.all(pids.map(cpuTicks));
  await new Promise((resolve) => setTimeout(resolve, sampleMs));
  const after = await Promise.all(pids.map(cpuTicks));
  return pids.map((_, i) => (after[i] ?? 0) - (before[i] ?? 0));
}

/** Socket inodes of the IPv4/IPv6 TCP connections from a local port to `peerPort`, by local port. */
async function connectionInodes(peerPort: number): Promise<Map<number, string>> {
  const byPort = new Map<number, string>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = await readFile(table, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      const local = fields[1]?.split(':').at(-1);
      const remote = fields[2]?.split(':').at(-1);
      const inode = fields[9];
      if (local === undefined || remote === undefined || inode === undefined) continue;
      if (parseInt(remote, 16) === peerPort) byPort.set(parseInt(local, 16), inode);
    }
  }
  return byPort;
}

async function socketInodes(pid: number | undefined): Promise<Set<string>> {
  const inodes = new Set<string>();
  if (pid === undefined) return inodes;
  try {
    for (const fd of await readdir(`/proc/${pid}/fd`)) {
      const target = await readlink(`/proc/${pid}/fd/${fd}`).catch(() => '');
      const match = /^socket:\[(\d+)\]$/.exec(target);
      if (match?.[1] !== undefined) inodes.add(match[1]);
    }
  } catch {
    // gone, or not Linux
  }
  return inodes;
}

/**
 * Which process (its index in `pids`) holds each TCP connection to `peerPort`, by the connection's local port — the
 * port the peer sees as the sender's. Keep-alive connections last, so the map stays good for a while: take it
 * first, then look up the ports of the requests the peer is handling at the moment that matters.
 */
export async function connectionOwners(pids: (number | undefined)[], peerPort: number): Promise<Map<number, number>> {
  const inodes = await connectionInodes(peerPort);
  const owned = await Promise.all(pids.map(socketInodes));
  const owners = new Map<number, number>();
  for (const [port, inode] of inodes) {
    const owner = owned.findIndex((set) => set.has(inode));
    if (owner >= 0) owners.set(port, owner);
  }
  return owners;
}
