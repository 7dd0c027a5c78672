/** What a span records: values that are never secrets (no token, secret, code or password). */
export type SpanAttributes = Readonly<Record<string, string | number | boolean | undefined>>;

export type SpanRunner = <T>(name: string, attributes: SpanAttributes, work: () => Promise<T>) => Promise<T>;

/**
 * Runs `work` as a span of its own (a child of the request's span) when tracing is on; otherwise
 * it only calls `work`. The seam between the layers and OpenTelemetry: src/tracing.ts installs the
 * real runner, so no layer imports an OpenTelemetry module and, with tracing off, none is loaded.
 */
export let traceSpan: SpanRunner = (_name, _attributes, work) => work();

/** Called once, by src/tracing.ts, before the app is created. */
export function setSpanRunner(runner: SpanRunner): void {
  traceSpan = runner;
}
