/** Where progress goes: a terminal gets a bar redrawn in place, anything else a plain line now and then. */
export interface ProgressTarget {
  readonly isTTY?: boolean;
  write(text: string): unknown;
}

export interface Progress {
  /** Rows done so far in this run, and the fraction of the input consumed (0..1), if known. */
  update(rows: number, fraction: number | undefined): void;
  /** Clears the bar (a terminal) before the summary line. */
  done(): void;
}

const BAR = 24;

/**
 * Rows and rows/s as the run goes: on a terminal a bar redrawn at most 10 times a second; elsewhere (CI logs,
 * files) one line every `intervalMs`. Rates count the rows of this run only, so a resumed run's rate is honest.
 */
export function createProgress(target: ProgressTarget, intervalMs: number, startedAt = performance.now(), now = () => performance.now()): Progress {
  const tty = target.isTTY === true;
  let last = startedAt;
  let drawn = false;
  const line = (rows: number, fraction: number | undefined) => {
    const seconds = (now() - startedAt) / 1000;
    const rate = seconds > 0 ? Math.round(rows / seconds) : 0;
    const percent = fraction === undefined ? '' : `${Math.floor(Math.min(1, fraction) * 100)}%`;
    return { rate, percent, text: `${rows.toLocaleString('en-US')} rows, ${rate.toLocaleString('en-US')} rows/s` };
  };
  return {
    update(rows, fraction) {
      const t = now();
      if (t - last < (tty ? 100 : intervalMs)) return;
      last = t;
      const { percent, text } = line(rows, fraction);
      if (tty) {
        const filled = fraction === undefined ? 0 : Math.round(Math.min(1, fraction) * BAR);
        target.write(`\r[${'#'.repeat(filled)}${'.'.repeat(BAR - filled)}] ${percent.padStart(4)} ${text}\x1b[K`);
        drawn = true;
      } else {
        target.write(`predict: ${percent ? `${percent} ` : ''}${text}\n`);
      }
    },
    done() {
      if (tty && drawn) target.write('\r\x1b[K');
    },
  };
}
