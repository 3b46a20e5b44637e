// The two load generators: wrk (closed loop, saturating) and the bench's own
// fixed-rate open-loop generator (bench/loadgen/fixed-rate.c). Both are
// non-Node processes, so they do not share an event loop with what they load.
import { join } from 'node:path';
import { lastLines, Tracked } from './procs.ts';

/** Latencies in microseconds. */
export interface LoadResult {
  requests: number;
  seconds: number;
  rps: number;
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
  /** connect/read/write errors, timeouts, non-2xx answers, requests never answered */
  errors: number;
  /** fixed rate only: mean delay of the generator's own sends behind schedule */
  sendLagUs?: number;
}

export interface Endpoint {
  port: number;
  /** Host header; wrk's default (127.0.0.1:port) when absent. */
  host?: string;
}

const LUA = join(import.meta.dirname, '..', 'loadgen', 'report.lua');

export async function runWrk(
  wrk: string,
  target: Endpoint,
  connections: number,
  seconds: number,
): Promise<LoadResult> {
  const args = ['-t1', `-c${connections}`, `-d${seconds}s`, '--latency', '--timeout', '5s', '-s', LUA];
  if (target.host !== undefined) args.push('-H', `Host: ${target.host}`);
  args.push(`http://127.0.0.1:${target.port}/`);
  const proc = new Tracked('wrk', wrk, args, {});
  const guard = setTimeout(() => void proc.stop(500), (seconds + 15) * 1000);
  const code = await proc.exited;
  clearTimeout(guard);
  const json = proc.output.match(/WRK_JSON (\{.*\})/);
  if (code !== 0 || json === null) throw new Error(`wrk failed (${code}): ${lastLines(proc.output)}`);
  const r = JSON.parse(json[1]!) as Record<string, number>;
  // cross-check with wrk's own summary line
  const textRps = Number(proc.output.match(/Requests\/sec:\s+([\d.]+)/)?.[1] ?? Number.NaN);
  const secs = r.durationUs! / 1e6;
  const rps = r.requests! / secs;
  if (Number.isFinite(textRps) && Math.abs(textRps - rps) > rps * 0.01 + 1) {
    throw new Error(`wrk output inconsistent: ${textRps} vs ${rps} req/s`);
  }
  return {
    requests: r.requests!,
    seconds: secs,
    rps,
    p50: r.p50!,
    p90: r.p90!,
    p99: r.p99!,
    p999: r.p999!,
    max: r.max!,
    errors: r.connectErrors! + r.readErrors! + r.writeErrors! + r.statusErrors! + r.timeouts!,
  };
}

export async function runFixedRate(
  binary: string,
  target: Endpoint,
  rate: number,
  seconds: number,
  connections = 16,
): Promise<LoadResult> {
  const host = target.host ?? `127.0.0.1:${target.port}`;
  const args = [
    '127.0.0.1',
    String(target.port),
    String(rate),
    String(seconds),
    String(connections),
    host,
    '/',
  ];
  const proc = new Tracked('fixed-rate', binary, args, {});
  const guard = setTimeout(() => void proc.stop(500), (seconds + 15) * 1000);
  const code = await proc.exited;
  clearTimeout(guard);
  const json = proc.output.match(/\{"rate".*\}/);
  if (code !== 0 || json === null) throw new Error(`fixed-rate failed (${code}): ${lastLines(proc.output)}`);
  const r = JSON.parse(json[0]) as Record<string, number>;
  return {
    requests: r.completed!,
    seconds: r.seconds!,
    rps: r.achievedRate!,
    p50: r.p50!,
    p90: r.p90!,
    p99: r.p99!,
    p999: r.p999!,
    max: r.max!,
    errors: r.non2xx! + (r.scheduled! - r.completed!),
    sendLagUs: r.meanSendLagUs!,
  };
}
