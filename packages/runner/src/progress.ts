/** Progress of a run: a cli-progress bar with rate and ETA on a TTY, plain periodic lines otherwise. */
import cliProgress from 'cli-progress';

export interface Progress {
  tick(n: number): void;
  stop(): void;
}

const fmtDuration = (s: number): string => (!Number.isFinite(s) ? '?' : s < 90 ? `${s.toFixed(0)} s` : s < 5400 ? `${(s / 60).toFixed(1)} min` : `${(s / 3600).toFixed(1)} h`);

/** Runs per second with two significant digits below 10 (slow cluster runs are not "0 runs/s"). */
export const formatRate = (rate: number): string => (rate >= 10 ? rate.toFixed(0) : rate.toPrecision(2));

/** A progress display for `total` runs. */
export function createProgress(mode: 'auto' | 'bar' | 'lines' | 'none', total: number, log: (line: string) => void): Progress {
  const kind = mode === 'auto' ? (process.stderr.isTTY ? 'bar' : 'lines') : mode;
  if (kind === 'none' || total === 0) return { tick() {}, stop() {} };
  if (kind === 'bar') {
    const bar = new cliProgress.SingleBar(
      { format: 'livemig {bar} {value}/{total} runs | {percentage}% | {rate} runs/s | ETA {eta_formatted}', hideCursor: true, etaBuffer: 200, stream: process.stderr },
      cliProgress.Presets.shades_classic,
    );
    const t0 = Date.now();
    let done = 0;
    bar.start(total, 0, { rate: '0' });
    return {
      tick(n) {
        done += n;
        bar.update(done, { rate: formatRate(done / Math.max(1e-3, (Date.now() - t0) / 1000)) });
      },
      stop() {
        bar.stop();
      },
    };
  }
  const t0 = Date.now();
  let done = 0;
  let last = t0;
  return {
    tick(n) {
      done += n;
      const now = Date.now();
      if (now - last >= 2000) {
        last = now;
        const rate = done / ((now - t0) / 1000);
        log(`livemig: ${done}/${total} runs (${((100 * done) / total).toFixed(0)}%), ${formatRate(rate)} runs/s, ETA ${fmtDuration((total - done) / rate)}`);
      }
    },
    stop() {},
  };
}
