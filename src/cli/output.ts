import { styleText } from 'node:util';

/**
 * What commands print: aligned tables and `key: value` details for people, JSON for scripts
 * (`--json`), colour only on a terminal without NO_COLOR, and a spinner on stderr for waits.
 */
export interface Output {
  readonly json: boolean;
  /** The command's result: as JSON with `--json`, else rendered by `human`. */
  result(value: unknown, human: () => void): void;
  /** A table with a header row; `columns` maps a header to a row's cell. */
  table<T>(rows: readonly T[], columns: Record<string, (row: T) => string | number | boolean | null | undefined>): void;
  /** Aligned `key: value` lines. */
  details(entries: Record<string, string | number | boolean | null | undefined>): void;
  line(text?: string): void;
  /** Text styled for a terminal (plain text otherwise). */
  style(format: 'bold' | 'dim' | 'green' | 'yellow' | 'red' | 'cyan', text: string): string;
  /** Runs `work`, showing a spinner on stderr once it takes over a second (a terminal only). */
  spin<T>(label: string, work: Promise<T>): Promise<T>;
}

/** NO_COLOR (https://no-color.org): any non-empty value turns colour off. */
export function colourWanted(stream: NodeJS.WriteStream, env: NodeJS.ProcessEnv = process.env): boolean {
  return stream.isTTY === true && !env.NO_COLOR;
}

const cell = (value: string | number | boolean | null | undefined): string =>
  value === null || value === undefined || value === '' ? '-' : String(value);

const SPINNER_FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
const SPINNER_DELAY_MS = 1000;

export function createOutput(options: { json: boolean }): Output {
  const colour = !options.json && colourWanted(process.stdout);
  const write = (text: string) => process.stdout.write(`${text}\n`);
  const style: Output['style'] = (format, text) => (colour ? styleText(format, text) : text);

  return {
    json: options.json,
    result(value, human) {
      if (options.json) write(JSON.stringify(value, null, 2));
      else human();
    },
    table(rows, columns) {
      const headers = Object.keys(columns);
      const cells = rows.map((row) => headers.map((header) => cell(columns[header](row))));
      const widths = headers.map((header, i) => Math.max(header.length, ...cells.map((r) => r[i].length)));
      // The last column is not padded: no trailing spaces.
      const render = (values: string[], paint: (text: string) => string = (text) => text) =>
        values.map((value, i) => paint(i === values.length - 1 ? value : value.padEnd(widths[i]))).join('  ');
      write(render(headers, (text) => style('bold', text)));
      for (const row of cells) write(render(row));
      if (rows.length === 0) write(style('dim', '(none)'));
    },
    details(entries) {
      const width = Math.max(...Object.keys(entries).map((key) => key.length)) + 1;
      for (const [key, value] of Object.entries(entries)) write(`${style('bold', `${key}:`.padEnd(width))} ${cell(value)}`);
    },
    line(text = '') {
      write(text);
    },
    style,
    async spin(label, work) {
      if (!process.stderr.isTTY) return work;
      const stderrColour = colourWanted(process.stderr);
      let frame = 0;
      let interval: NodeJS.Timeout | undefined;
      const timer = setTimeout(() => {
        interval = setInterval(() => {
          const glyph = SPINNER_FRAMES[frame++ % SPINNER_FRAMES.length];
          process.stderr.write(`\r${stderrColour ? styleText('cyan', glyph) : glyph} ${label}`);
        }, 80);
      }, SPINNER_DELAY_MS);
      try {
        return await work;
      } finally {
        clearTimeout(timer);
        if (interval) {
          clearInterval(interval);
          process.stderr.write('\r\x1b[K');
        }
      }
    },
  };
}
