// Shared by the PKI tests: reading certificates back with node:crypto (not the
// library that wrote them), file modes, a captured logger and the real kubectl.
import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createLogger, type Logger } from '../../common/log.js';

export const DAY_MS = 86_400_000;
/** A fixed "now" for tests that do not open TLS connections (those check validity against the real clock). */
export const NOW = new Date('2026-03-01T12:00:00Z');
/** This host's interfaces as the file starts: tests comparing two starts pass it, as other tests' pod bridges come and go meanwhile. */
export const HOST = networkInterfaces();
export const PKI_FILES = ['admin.crt', 'admin.key', 'ca.crt', 'ca.key', 'service-account.key', 'serving.crt', 'serving.key'];

export function daysAfter(start: Date, days: number): Date {
  return new Date(start.getTime() + days * DAY_MS);
}

export function cert(pem: string): X509Certificate {
  return new X509Certificate(pem);
}

export async function certFile(dir: string, name: string): Promise<X509Certificate> {
  return cert(await readFile(join(dir, name), 'utf8'));
}

export function expires(c: X509Certificate): Date {
  return new Date(c.validTo);
}

/** Subject attributes by name, e.g. { CN: ['system:admin'], O: ['system:masters'] }. */
export function subjectOf(c: X509Certificate): Record<string, string[]> {
  const fields: Record<string, string[]> = {};
  for (const line of c.subject.split('\n')) {
    const eq = line.indexOf('=');
    (fields[line.slice(0, eq)] ??= []).push(line.slice(eq + 1));
  }
  return fields;
}

export async function modeOf(path: string): Promise<number> {
  return (await stat(path)).mode & 0o777;
}

/** Every file's name, mode and content, to show that nothing changed. */
export async function snapshot(dir: string): Promise<Record<string, { mode: number; text: string }>> {
  const files: Record<string, { mode: number; text: string }> = {};
  for (const name of (await readdir(dir)).sort()) {
    files[name] = { mode: await modeOf(join(dir, name)), text: await readFile(join(dir, name), 'utf8') };
  }
  return files;
}

export function capturedLogger(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  return { logger: createLogger({ level: 'debug', write: (line) => lines.push(line) }), lines };
}

const KUBECTL_DIR = '/usr/lib/google-cloud-sdk/bin';
const run = promisify(execFile);

/** Runs a real kubectl (e.g. version "1.33") asynchronously, so a server in this process can answer it. */
export async function kubectl(version: string, args: string[], home: string): Promise<string> {
  const { stdout } = await run(join(KUBECTL_DIR, `kubectl.${version}`), args, {
    timeout: 30_000,
    // Its own HOME, so kubectl's cache never lands in the real one.
    env: { PATH: process.env['PATH'] ?? '', HOME: home },
  });
  return stdout;
}
