import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { isAlive, readProcStat } from '#core/embedded/managed-process.js';

export { isAlive };

/** A live process, from Linux /proc. */
export interface ProcessInfo {
  pid: number;
  ppid: number;
  /** The executable's name (`/proc/<pid>/comm`), e.g. `postgres`, `redis-server`. */
  name: string;
  commandLine: string;
}

export function liveProcesses(): ProcessInfo[] {
  const processes: ProcessInfo[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    const stat = readProcStat(pid);
    if (stat === undefined || stat.state === 'Z') continue;
    try {
      const name = readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
      const commandLine = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
      processes.push({ pid, ppid: stat.ppid, name, commandLine });
    } catch {
      // Exited meanwhile.
    }
  }
  return processes;
}

/** The children of `pid`, their children, and so on. */
export function descendants(pid: number): ProcessInfo[] {
  const all = liveProcesses();
  const found: ProcessInfo[] = [];
  const parents = new Set([pid]);
  for (let grew = true; grew;) {
    grew = false;
    for (const candidate of all) {
      if (parents.has(candidate.ppid) && !parents.has(candidate.pid)) {
        parents.add(candidate.pid);
        found.push(candidate);
        grew = true;
      }
    }
  }
  return found;
}

/** TCP ports the processes listen on. */
export function listeningPorts(pids: number[]): number[] {
  const inodes = new Set(pids.flatMap(socketInodes));
  return listeningSockets()
    .filter((socket) => inodes.has(socket.inode))
    .map((socket) => socket.port);
}

/**
 * Whether the process has a TCP connection from local port `port`: tells which process holds a
 * connection the server side knows by its client port, e.g. a slot's walsender.
 */
export function hasLocalPort(pid: number, port: number): boolean {
  const inodes = new Set(socketInodes(pid));
  return tcpSockets().some((socket) => socket.port === port && inodes.has(socket.inode));
}

/** Whether any process of this machine listens on the TCP port. */
export function isListening(port: number): boolean {
  return listeningSockets().some((socket) => socket.port === port);
}

function socketInodes(pid: number): string[] {
  let fds: string[];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return []; // exited
  }
  return fds.flatMap((fd) => {
    try {
      const inode = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`))?.[1];
      return inode === undefined ? [] : [inode];
    } catch {
      return []; // closed meanwhile
    }
  });
}

const TCP_LISTEN = '0A';

function listeningSockets(): TcpSocket[] {
  return tcpSockets().filter((socket) => socket.state === TCP_LISTEN);
}

interface TcpSocket {
  port: number;
  inode: string;
  state: string;
}

function tcpSockets(): TcpSocket[] {
  const sockets: TcpSocket[] = [];
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = readFileSync(table, 'utf8');
    } catch {
      continue; // no IPv6
    }
    // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode …
    for (const line of text.split('\n').slice(1)) {
      const columns = line.trim().split(/\s+/);
      if (columns.length < 10) continue;
      sockets.push({
        port: Number.parseInt(columns[1]!.split(':').at(-1)!, 16),
        inode: columns[9]!,
        state: columns[3]!,
      });
    }
  }
  return sockets;
}
