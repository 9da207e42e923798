/**
 * Run mode's cost per simulated 24 hours, from the time model (dev/time-model.ts): how many token
 * requests a day of refreshing makes, and the CPU time of the schedule. The CPU time is an upper
 * bound: it includes the model KlearStack and the action's mint() that the simulation runs in the
 * same process, and no waiting (the real supervisor sleeps between refreshes).
 */
import { scenario, simulate } from './time-model.ts';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

const DAY = scenario({ durationMs: 24 * HOUR, latencyMs: 100 });

export const RUN_MODE_DAYS = {
  'fifteen-minute tokens, refresh-interval 10m': DAY,
  'sixty-second tokens, refresh-interval 10m': { ...DAY, lifeSeconds: 60 },
  'fifteen-minute tokens through a two-hour outage': {
    ...DAY,
    outages: [{ from: 10 * HOUR, to: 12 * HOUR, kind: 'refused' as const }]
  },
  'credentials rejected for the whole day (service account)': {
    ...DAY,
    canLogin: true,
    rejections: [{ from: 0, to: 25 * HOUR }]
  }
};

export interface RunModeDay {
  requests: number;
  failedRequests: number;
  cpuMs: number;
}

/** Each day's figures; CPU is the median of `repeats` runs of the same day. */
export async function measureRunModeDays(repeats = 5): Promise<Record<string, RunModeDay>> {
  const days: Record<string, RunModeDay> = {};
  for (const [name, scenario] of Object.entries(RUN_MODE_DAYS)) {
    const runs = [];
    for (let i = 0; i < repeats; i++) runs.push(await simulate(scenario));
    const cpu = runs.map(run => run.cpuMicros / 1000).sort((a, b) => a - b);
    const { requests } = runs[0];
    days[name] = {
      requests: requests.length,
      failedRequests: requests.filter(request => request.outcome !== 'ok').length,
      cpuMs: Number(cpu[Math.floor(cpu.length / 2)].toFixed(1))
    };
  }
  return days;
}

export function runModeTable(days: Record<string, RunModeDay>): string {
  return [
    '| Run mode, per simulated 24 h | Token requests | Of which failed | Schedule CPU (upper bound) |',
    '| --- | --- | --- | --- |',
    ...Object.entries(days).map(
      ([name, day]) => `| ${name} | ${day.requests} | ${day.failedRequests} | ${day.cpuMs} ms |`
    )
  ].join('\n');
}
