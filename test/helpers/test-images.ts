// Container images for tests that run real pods, built offline: no internet
// here, so nothing can come from Docker Hub or registry.k8s.io.
//
//   busybox:1.36, busybox:1.37  Debian's static busybox and a link per applet
//                               (sh, sleep, httpd, echo, cat, wget, nc, …) in
//                               /bin; CMD sh. /etc/bramble-version holds the
//                               tag, so a rollout from one tag to the other is
//                               visible inside the container.
//   pause:3.9                   the sandbox image: waits, reaps children that
//                               the pid namespace hands it, exits 0 on
//                               SIGTERM/SIGINT. A static C program when gcc can
//                               link one (what upstream's pause is, 0.7 MB);
//                               otherwise busybox sh trapping the signals.
//
// umoci builds them into one OCI layout per test process (memoized, under
// 1 s); skopeo pushes them to a registry (test/helpers/registry.ts) or writes
// an archive.
import { execFile } from 'node:child_process';
import { rmSync } from 'node:fs';
import { chmod, copyFile, mkdir, mkdtemp, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { promisify } from 'node:util';
import { tempDir } from './temp.js';

export type TestImage = 'busybox:1.36' | 'busybox:1.37' | 'pause:3.9';

/** Debian's busybox-static. */
const BUSYBOX_BINARY = '/bin/busybox';

/**
 * Where each image lives in a test registry, and the public name it stands in
 * for: startContainerd's mirrors resolve `docker.io/library/busybox:1.36` and
 * `registry.k8s.io/pause:3.9` through the local registry.
 */
const IMAGES: Record<TestImage, { path: string; publicName: string; layoutTag: string }> = {
  'busybox:1.36': { path: 'library/busybox:1.36', publicName: 'docker.io/library/busybox:1.36', layoutTag: 'busybox-1.36' },
  'busybox:1.37': { path: 'library/busybox:1.37', publicName: 'docker.io/library/busybox:1.37', layoutTag: 'busybox-1.37' },
  'pause:3.9': { path: 'pause:3.9', publicName: 'registry.k8s.io/pause:3.9', layoutTag: 'pause-3.9' },
};
const ALL = Object.keys(IMAGES) as TestImage[];

/** `127.0.0.1:PORT/library/busybox:1.36` */
export function localImage(registry: string, image: TestImage): string {
  return `${registry}/${IMAGES[image].path}`;
}

/** `docker.io/library/busybox:1.36`: resolves through the mirror startContainerd writes. */
export function publicImage(image: TestImage): string {
  return IMAGES[image].publicName;
}

export interface TestImageLayout {
  /** The OCI layout holding every test image. */
  readonly dir: string;
  /** How the pause image was made. */
  readonly pause: 'static C' | 'busybox sh';
}

const run = promisify(execFile);
let layout: Promise<TestImageLayout> | undefined;

/** Builds every test image once per process. */
export function testImageLayout(): Promise<TestImageLayout> {
  layout ??= build();
  return layout;
}

/** Pushes every test image to the registry at `host:port` (plain http), with `login` ("user:password") when it wants one. */
export async function pushTestImages(registry: string, login?: string): Promise<void> {
  const { dir } = await testImageLayout();
  const creds = login === undefined ? [] : ['--dest-creds', login];
  // One at a time: busybox 1.36 and 1.37 share a layer in one repository, and
  // docker-registry can answer two uploads of the same blob at once with a 500.
  for (const image of ALL) {
    await skopeo(['copy', '--dest-tls-verify=false', ...creds, `oci:${dir}:${IMAGES[image].layoutTag}`, `docker://${localImage(registry, image)}`]);
  }
}

/**
 * Writes one image as an archive in a fresh file (skopeo refuses to overwrite
 * one), named by its public name or `name`, for `ctr images import` or an
 * air-gapped agent's import. Removed when the test ends.
 */
export async function writeImageArchive(
  t: TestContext,
  image: TestImage,
  format: 'docker-archive' | 'oci-archive' = 'docker-archive',
  name: string = IMAGES[image].publicName,
): Promise<string> {
  const { dir } = await testImageLayout();
  const file = join(await tempDir(t, 'bramble-image-archive-'), `${IMAGES[image].layoutTag}.tar`);
  await skopeo(['copy', `oci:${dir}:${IMAGES[image].layoutTag}`, `${format}:${file}:${name}`]);
  return file;
}

async function build(): Promise<TestImageLayout> {
  const dir = await mkdtemp(join(tmpdir(), 'bramble-test-images-'));
  // Shared by every test of the process, so it outlives each of them.
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  const oci = join(dir, 'oci');
  await umoci(['init', '--layout', oci]);
  // gcc works while umoci does; umoci calls go one at a time, since each
  // rewrites the layout's index.json.
  const pauseRootfs = join(dir, 'pause-rootfs');
  await mkdir(pauseRootfs);
  const compiled = compilePause(dir, join(pauseRootfs, 'pause'));
  await buildBusybox(dir, oci);
  const pause = await compiled;
  await buildPause(oci, pauseRootfs, pause);
  return { dir: oci, pause };
}

async function buildBusybox(dir: string, oci: string): Promise<void> {
  const rootfs = join(dir, 'busybox-rootfs');
  await busyboxRootfs(rootfs, true);
  await mkdir(join(rootfs, 'root'));
  await writeFile(join(rootfs, 'etc', 'passwd'), 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/home:/bin/false\n');
  await writeFile(join(rootfs, 'etc', 'group'), 'root:x:0:\nnobody:x:65534:\n');
  const base = `${oci}:busybox-base`;
  await umoci(['new', '--image', base]);
  await umoci(['insert', '--image', base, rootfs, '/']);
  await umoci(['config', '--image', base, '--config.env', 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', '--config.cmd', 'sh']);
  // One small layer per tag on the shared base: the tags differ only there.
  for (const image of ['busybox:1.36', 'busybox:1.37'] as const) {
    const version = join(dir, `bramble-version-${image}`);
    await writeFile(version, `${image.split(':')[1]}\n`);
    await umoci(['tag', '--image', base, IMAGES[image].layoutTag]);
    await umoci(['insert', '--image', `${oci}:${IMAGES[image].layoutTag}`, version, '/etc/bramble-version']);
  }
  await umoci(['rm', '--image', base]);
}

async function buildPause(oci: string, rootfs: string, pause: TestImageLayout['pause']): Promise<void> {
  const image = `${oci}:${IMAGES['pause:3.9'].layoutTag}`;
  if (pause === 'busybox sh') await busyboxRootfs(rootfs, false);
  await umoci(['new', '--image', image]);
  await umoci(['insert', '--image', image, rootfs, '/']);
  const entrypoint =
    pause === 'static C'
      ? ['/pause']
      : // sh as pid 1 ignores SIGTERM unless trapped; `wait` is interrupted by
        // the trap, and ash's wait reaps any child, adopted ones too.
        ['/bin/sh', '-c', "trap 'exit 0' TERM INT; while :; do sleep 2147483647 & wait; done"];
  await umoci(['config', '--image', image, ...entrypoint.flatMap((arg) => ['--config.entrypoint', arg])]);
}

const PAUSE_C = `#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>
static void stop(int sig) { (void)sig; _exit(0); }
static void reap(int sig) { (void)sig; while (waitpid(-1, 0, WNOHANG) > 0) {} }
int main(void) {
  struct sigaction sa = {0};
  sa.sa_handler = stop;
  sigaction(SIGINT, &sa, 0);
  sigaction(SIGTERM, &sa, 0);
  sa.sa_handler = reap;
  sa.sa_flags = SA_NOCLDSTOP;
  sigaction(SIGCHLD, &sa, 0);
  for (;;) pause();
}
`;

/** A static pause binary at `out`, or 'busybox sh' when gcc or a static libc is missing. */
async function compilePause(dir: string, out: string): Promise<TestImageLayout['pause']> {
  const source = join(dir, 'pause.c');
  await writeFile(source, PAUSE_C);
  try {
    await run('gcc', ['-Os', '-static', '-s', '-o', out, source]);
    return 'static C';
  } catch {
    return 'busybox sh';
  }
}

/** `rootfs/bin/busybox` and a relative link per applet; /etc and /tmp. */
async function busyboxRootfs(rootfs: string, allApplets: boolean): Promise<void> {
  const bin = join(rootfs, 'bin');
  await mkdir(bin, { recursive: true });
  await copyFile(BUSYBOX_BINARY, join(bin, 'busybox')).catch((err: NodeJS.ErrnoException) => {
    throw err.code === 'ENOENT'
      ? new Error(`${BUSYBOX_BINARY} is missing: run 'apt-get install busybox-static' (test/run.sh does so as root)`)
      : err;
  });
  await chmod(join(bin, 'busybox'), 0o755);
  const applets = allApplets ? (await run(BUSYBOX_BINARY, ['--list'])).stdout.split('\n').filter((a) => a && a !== 'busybox') : ['sh', 'sleep'];
  await Promise.all(applets.map((applet) => symlink('busybox', join(bin, applet))));
  await mkdir(join(rootfs, 'etc'), { recursive: true });
  await mkdir(join(rootfs, 'tmp'), { recursive: true });
  await chmod(join(rootfs, 'tmp'), 0o1777);
}

async function umoci(args: string[]): Promise<void> {
  await tool('umoci', args);
}

async function skopeo(args: string[]): Promise<void> {
  // The images are our own: no signature policy to satisfy (and none needed
  // in /etc/containers).
  await tool('skopeo', ['--insecure-policy', ...args]);
}

async function tool(command: string, args: string[]): Promise<void> {
  try {
    await run(command, args, { maxBuffer: 16 * 1024 * 1024 });
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stderr?: string };
    if (e.code === 'ENOENT') throw new Error(`${command} is not installed: run 'apt-get install ${command}' (test/run.sh does so as root)`);
    throw new Error(`${command} ${args.join(' ')} failed: ${e.stderr || e.message}`);
  }
}
