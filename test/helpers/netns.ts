// test/helpers/netns.ts — hosts in their own network namespaces (root only):
// a bridge in this namespace with an address of its own (the test's client
// side), and per host a namespace joined to it by a veth pair, with its own
// address. cut(i) takes host i's link down on the bridge side: the kernel
// drops what it sends and what is sent to it, with no reset, as a cable
// pulled out; heal(i) puts it back. Names carry this process's pid, so
// concurrent runs do not meet. unavailable() says why this machine does not
// let us (not root, no iproute2, no namespaces), if it does not.
import { execFileSync } from 'node:child_process';

function ip(...args: string[]): void {
  execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

/** Why namespaces cannot be made here (not root, no iproute2, a kernel that refuses); null when they can. */
export function unavailable(): string | null {
  if (process.getuid?.() !== 0) return 'network namespaces need root';
  const probe = `dkprobe${process.pid % 100000}`;
  try {
    ip('netns', 'add', probe);
  } catch (err) {
    return `ip netns add failed: ${(err as Error).message}`;
  }
  try {
    ip('link', 'add', `${probe}a`, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', probe);
  } catch (err) {
    return `ip link add ... type veth failed: ${(err as Error).message}`;
  } finally {
    ip('netns', 'del', probe); // its end of the pair goes with it, and the other end with that
  }
  return null;
}

export class NetnsHosts {
  readonly addresses: string[];
  private readonly bridge: string;
  private readonly namespaces: string[];
  private readonly links: string[];

  /** Makes `count` hosts on a /24 of 10.0.0.0/8 picked from the pid; the bridge is .254. */
  constructor(count: number) {
    const tag = process.pid % 10000;
    const subnet = `10.${100 + (process.pid % 100)}.${Math.floor(process.pid / 100) % 250}`;
    this.bridge = `dkbr${tag}`;
    this.namespaces = Array.from({ length: count }, (_, i) => `dkns${tag}-${i}`);
    this.links = Array.from({ length: count }, (_, i) => `dkv${tag}-${i}`);
    this.addresses = Array.from({ length: count }, (_, i) => `${subnet}.${i + 1}`);
    try {
      ip('link', 'add', this.bridge, 'type', 'bridge');
      ip('addr', 'add', `${subnet}.254/24`, 'dev', this.bridge);
      ip('link', 'set', this.bridge, 'up');
      for (let i = 0; i < count; i++) {
        const ns = this.namespaces[i];
        ip('netns', 'add', ns);
        ip('link', 'add', this.links[i], 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns);
        ip('link', 'set', this.links[i], 'master', this.bridge, 'up');
        ip('-n', ns, 'addr', 'add', `${this.addresses[i]}/24`, 'dev', 'eth0');
        ip('-n', ns, 'link', 'set', 'eth0', 'up');
        ip('-n', ns, 'link', 'set', 'lo', 'up');
      }
    } catch (err) {
      this.remove();
      throw err;
    }
  }

  /** The command line that runs `argv` inside host i. */
  exec(i: number, argv: readonly string[]): [string, string[]] {
    return ['ip', ['netns', 'exec', this.namespaces[i], ...argv]];
  }

  cut(i: number): void {
    ip('link', 'set', this.links[i], 'down');
  }

  heal(i: number): void {
    ip('link', 'set', this.links[i], 'up');
  }

  /** Deletes the namespaces (their veth pairs go with them) and the bridge; what is already gone is skipped. */
  remove(): void {
    for (const ns of this.namespaces) {
      try {
        ip('netns', 'del', ns);
      } catch (err) {
        if (!String((err as { stderr?: Buffer }).stderr ?? '').includes('No such file')) throw err;
      }
    }
    try {
      ip('link', 'del', this.bridge);
    } catch (err) {
      if (!String((err as { stderr?: Buffer }).stderr ?? '').includes('Cannot find device')) throw err;
    }
  }
}
