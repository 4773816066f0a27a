// What only a Raspberry Pi tells: its SoC temperature, and the firmware's
// under-voltage and throttling flags, as conditions people can alert on (a
// weak power supply is the commonest cause of a flaky Pi node).
import type { NodeCondition } from '../../common/agent-protocol.js';
import type { HostFiles } from './host-files.js';

export const SOC_TEMPERATURE_READING = 'bramble.io/soc-temperature-celsius';

const MODEL = '/proc/device-tree/model';
const THERMAL_ZONE = '/sys/class/thermal/thermal_zone0/temp';
const GET_THROTTLED = '/sys/devices/platform/soc/soc:firmware/get_throttled';

// Bits of the firmware's get_throttled mask ("now" bits; +16 for "since boot").
const UNDER_VOLTAGE = 1 << 0;
const FREQUENCY_CAPPED = 1 << 1;
const THROTTLED = 1 << 2;
const SINCE_BOOT = 16;

/** True when the device tree names a Raspberry Pi; read once, at start. */
export async function isRaspberryPi(host: HostFiles): Promise<boolean> {
  const model = await host.readOptional(MODEL);
  return model?.includes('Raspberry Pi') ?? false;
}

export interface PiStatus {
  readonly readings: Record<string, string>;
  readonly conditions: NodeCondition[];
}

export async function readPiStatus(host: HostFiles): Promise<PiStatus> {
  const [temp, conditions] = await Promise.all([host.readOptional(THERMAL_ZONE), firmwareConditions(host)]);
  const readings: Record<string, string> = {};
  if (temp !== undefined && /^-?\d+$/.test(temp)) readings[SOC_TEMPERATURE_READING] = (Number(temp) / 1000).toFixed(1);
  return { readings, conditions };
}

async function firmwareConditions(host: HostFiles): Promise<NodeCondition[]> {
  let text: string;
  try {
    text = await host.read(GET_THROTTLED);
  } catch (err) {
    // On a Pi the flags should be there (old kernel, or sysfs not mounted?): say so rather than hide them.
    return unknownConditions(`cannot read the firmware's flags: ${(err as Error).message}`);
  }
  return throttledConditions(text);
}

/** UnderVoltage and Throttled from the text of get_throttled (hex, "50005" or "0x50005"). */
export function throttledConditions(text: string): NodeCondition[] {
  if (!/^(0x)?[0-9a-f]+$/i.test(text)) return unknownConditions(`${GET_THROTTLED} holds ${JSON.stringify(text)}, not a hex mask`);
  const mask = parseInt(text.replace(/^0x/i, ''), 16);
  const raw = `get_throttled=0x${mask.toString(16)}`;
  const now = (bit: number) => (mask & bit) !== 0;
  const sinceBoot = (bit: number) => (mask & (bit << SINCE_BOOT)) !== 0;

  const underVoltage: NodeCondition = now(UNDER_VOLTAGE)
    ? { type: 'UnderVoltage', status: 'True', reason: 'UnderVoltageDetected', message: `the firmware reports under-voltage now (${raw}): use a stronger power supply or a shorter, thicker cable` }
    : sinceBoot(UNDER_VOLTAGE)
      ? { type: 'UnderVoltage', status: 'False', reason: 'UnderVoltageSinceBoot', message: `no under-voltage now, but there was some since boot (${raw})` }
      : { type: 'UnderVoltage', status: 'False', reason: 'VoltageNormal', message: `no under-voltage since boot (${raw})` };

  const throttled: NodeCondition = now(THROTTLED)
    ? { type: 'Throttled', status: 'True', reason: 'CPUThrottled', message: `the firmware is throttling the CPU now (${raw}): check cooling and power` }
    : now(FREQUENCY_CAPPED)
      ? { type: 'Throttled', status: 'True', reason: 'CPUFrequencyCapped', message: `the firmware caps the CPU frequency now (${raw}): check cooling and power` }
      : sinceBoot(THROTTLED) || sinceBoot(FREQUENCY_CAPPED)
        ? { type: 'Throttled', status: 'False', reason: 'ThrottledSinceBoot', message: `the CPU runs at full speed now, but was throttled or capped since boot (${raw})` }
        : { type: 'Throttled', status: 'False', reason: 'NotThrottled', message: `the CPU has run at full speed since boot (${raw})` };

  return [underVoltage, throttled];
}

function unknownConditions(why: string): NodeCondition[] {
  return ['UnderVoltage', 'Throttled'].map((type) => ({ type, status: 'Unknown', reason: 'FirmwareFlagsUnreadable', message: why }));
}
