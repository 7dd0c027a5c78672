import { parseArgs } from 'node:util';
import { EXIT_CODES_HELP, UsageError } from './errors';
import type { Output } from './output';
import type { Session } from './session';

/** One option of a command, parsed by node:util `parseArgs`. */
export interface OptionSpec {
  type: 'string' | 'boolean';
  short?: string;
  /** Repeatable (`--scope a --scope b`). */
  multiple?: boolean;
  /** The value's placeholder in the help (`<seconds>`). */
  value?: string;
  description: string;
  required?: boolean;
}

export type Values = Record<string, string | boolean | string[] | undefined>;

/** What a command's `run` receives. */
export interface CommandContext {
  values: Values;
  positionals: string[];
  out: Output;
  /** The signed-in Management API session (throws NotSignedInError when there is none). */
  session(): Promise<Session>;
}

/** A command: its words (`apis scopes add`), help, options and what it does. */
export interface Command {
  path: string;
  /** After the words in the usage line: `<api> <scope>[=<description>]...`. */
  args?: string;
  summary: string;
  /** More help: paragraphs printed after the options. */
  details?: string;
  options?: Record<string, OptionSpec>;
  /** How many positionals it takes (default: none). */
  positionals?: { min: number; max: number };
  run(context: CommandContext): Promise<void>;
}

/** Options every command takes. */
export const GLOBAL_OPTIONS: Record<string, OptionSpec> = {
  json: { type: 'boolean', description: 'Print the result as JSON (for scripts); errors go to stderr as JSON' },
  help: { type: 'boolean', short: 'h', description: 'Show this help' },
};

/** `-h, --help`, `--name <name>`: how an option is written. */
export const optionUsage = (name: string, spec: OptionSpec) =>
  `${spec.short ? `-${spec.short}, ` : ''}--${name}${spec.type === 'string' ? ` ${spec.value ?? '<value>'}` : ''}`;

/** Aligned `  name  description` lines. */
export function listing(entries: [string, string][]): string {
  const width = Math.max(...entries.map(([name]) => name.length));
  return entries.map(([name, text]) => `  ${name.padEnd(width)}  ${text}`).join('\n');
}

export function usageLine(command: Command): string {
  return `Usage: apiauth ${command.path}${command.args ? ` ${command.args}` : ''} [options]\n`;
}

/** The `--help` of one command. */
export function commandHelp(command: Command): string {
  const options = { ...command.options, ...GLOBAL_OPTIONS };
  const lines = [
    usageLine(command),
    command.summary,
    '',
    'Options:',
    listing(
      Object.entries(options).map(([name, spec]) => [optionUsage(name, spec), `${spec.description}${spec.required ? ' (required)' : ''}`]),
    ),
  ];
  if (command.details) lines.push('', command.details);
  lines.push('', EXIT_CODES_HELP, '');
  return lines.join('\n');
}

/** Parses a command's arguments (after its words); bad usage throws a UsageError. */
export function parseCommandArgs(command: Command, args: string[]): { values: Values; positionals: string[] } {
  const options = { ...command.options, ...GLOBAL_OPTIONS };
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      strict: true,
      options: Object.fromEntries(
        Object.entries(options).map(([name, { type, short, multiple }]) => [
          name,
          { type, ...(short ? { short } : {}), ...(multiple ? { multiple } : {}) },
        ]),
      ),
    });
  } catch (error) {
    throw new UsageError((error as Error).message, usageLine(command));
  }
  const values = parsed.values as Values;
  if (values.help) return { values, positionals: parsed.positionals };
  const { min, max } = command.positionals ?? { min: 0, max: 0 };
  if (parsed.positionals.length < min) throw new UsageError(`missing argument: ${command.args}`, usageLine(command));
  if (parsed.positionals.length > max)
    throw new UsageError(`unexpected argument "${parsed.positionals[max].slice(0, 100)}"`, usageLine(command));
  for (const [name, spec] of Object.entries(options)) {
    if (spec.required && values[name] === undefined) throw new UsageError(`missing option --${name}`, usageLine(command));
  }
  return { values, positionals: parsed.positionals };
}

/** A whole number of seconds (or other count) from an option; a UsageError otherwise. */
export function integerOption(values: Values, name: string, range: { min: number; max?: number }): number | undefined {
  const raw = values[name];
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (typeof raw !== 'string' || !/^\d+$/.test(raw) || value < range.min || (range.max !== undefined && value > range.max)) {
    const bounds = range.max === undefined ? `at least ${range.min}` : `${range.min} to ${range.max}`;
    throw new UsageError(`--${name} must be a whole number, ${bounds} (got "${String(raw).slice(0, 50)}")`);
  }
  return value;
}

/** A repeatable string option as a list (empty when absent). */
export function listOption(values: Values, name: string): string[] {
  const raw = values[name];
  return Array.isArray(raw) ? raw : typeof raw === 'string' ? [raw] : [];
}

/**
 * An enum value as GraphQL spells it (`machine-to-machine` → MACHINE_TO_MACHINE). The server keeps
 * the one list of valid values: it refuses others, naming them.
 */
export function enumOption<T extends string>(values: Values, name: string): T | undefined {
  const raw = values[name];
  return typeof raw === 'string' ? (raw.trim().toUpperCase().replace(/-/g, '_') as T) : undefined;
}
