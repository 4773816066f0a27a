// Facts about the machine that do not change while the agent runs: read once.
import { cpus } from 'node:os';
import type { HostFiles } from './host-files.js';
import { cpuSerial, prettyName } from './procfs.js';
import { isRaspberryPi } from './raspberry-pi.js';

export interface MachineFacts {
  readonly machineId: string;
  readonly systemUuid: string;
  readonly bootId: string;
  readonly kernelVersion: string;
  readonly osImage: string;
  readonly cpus: number;
  readonly raspberryPi: boolean;
}

export async function readMachineFacts(host: HostFiles): Promise<MachineFacts> {
  const [machineId, systemUuid, bootId, kernelVersion, osRelease, raspberryPi] = await Promise.all([
    host.readOptional('/etc/machine-id'),
    readSystemUuid(host),
    host.read('/proc/sys/kernel/random/boot_id'),
    // uname's release, through the same root as everything else.
    host.read('/proc/sys/kernel/osrelease'),
    host.readOptional('/etc/os-release'),
    isRaspberryPi(host),
  ]);
  return {
    machineId: machineId ?? '',
    systemUuid,
    bootId,
    kernelVersion,
    osImage: osRelease === undefined ? '' : prettyName(osRelease),
    // Online CPUs, as kubelet counts them (no fractions, no affinity).
    cpus: cpus().length,
    raspberryPi,
  };
}

/**
 * The firmware's UUID (DMI, root-only on x86). Machines without DMI (a Pi)
 * give their CPU's serial number instead (a Pi's board serial); "" if
 * neither exists.
 */
async function readSystemUuid(host: HostFiles): Promise<string> {
  const dmi = await host.readOptional('/sys/class/dmi/id/product_uuid').catch(() => undefined);
  if (dmi !== undefined) return dmi.toLowerCase();
  const cpuinfo = await host.readOptional('/proc/cpuinfo');
  return cpuinfo === undefined ? '' : cpuSerial(cpuinfo);
}
