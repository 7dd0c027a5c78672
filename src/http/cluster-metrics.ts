import cluster, { type Worker } from 'node:cluster';
import { AggregatorRegistry, Counter, Gauge, Registry } from 'prom-client';
import type { MetricsSource } from './metrics';

/** IPC message types between the primary and its workers (WORKERS>1). */
const REQUEST = 'apiauth:metrics-request';
const RESPONSE = 'apiauth:metrics-response';

/** Longest a scrape waits for the workers' answers: beyond it the scrape fails rather than under-count. */
const COLLECT_TIMEOUT_MS = 2000;

type WorkerMetrics = Awaited<ReturnType<Registry['getMetricsAsJSON']>>;

interface Collection {
  waiting: Set<number>;
  answers: WorkerMetrics[];
  settle(error?: Error): void;
}

/**
 * In a worker of a cluster: answers the primary's requests for this process's metrics (as JSON, summed
 * there). The worker serves no metrics port of its own: the port would be shared by every worker,
 * each scrape seeing one of them at random. Returns the function that stops answering.
 */
export function answerMetricsRequests(registry: Registry): () => void {
  const onMessage = (message: unknown) => {
    if (!isMessage(message, REQUEST)) return;
    const reply = (metrics: WorkerMetrics | null) =>
      // A callback: once the primary is gone the answer is dropped instead of raising an 'error' event.
      process.send?.({ type: RESPONSE, id: message.id, metrics }, undefined, undefined, () => undefined);
    registry.getMetricsAsJSON().then(reply, () => reply(null));
  };
  process.on('message', onMessage);
  return () => void process.off('message', onMessage);
}

/**
 * In the primary (WORKERS>1): `GET /metrics` is every serving worker's metrics, each series summed
 * over the workers (prom-client's AggregatorRegistry: counters and histograms add up, default
 * process metrics use their own aggregators), plus the primary's own: how many workers serve and how
 * many exited unasked. A scrape fails (500) when a worker does not answer within 2 seconds. A
 * replaced worker starts its counters at zero, which Prometheus sees as a counter reset.
 */
export class ClusterMetrics implements MetricsSource {
  private readonly own = new Registry();
  private readonly exits: Counter;
  private readonly collections = new Map<number, Collection>();
  private nextId = 0;

  constructor(private readonly serving: () => Worker[]) {
    new Gauge({
      name: 'apiauth_workers',
      help: 'Worker processes serving (WORKERS)',
      registers: [this.own],
      collect() {
        this.set(serving().length);
      },
    });
    this.exits = new Counter({
      name: 'apiauth_worker_exits_total',
      help: 'Worker processes that exited without being asked to (each is replaced)',
      registers: [this.own],
    });
    cluster.on('message', (worker, message) => {
      if (!isMessage(message, RESPONSE)) return;
      const collection = this.collections.get(message.id);
      if (!collection?.waiting.delete(worker.id)) return;
      if (!Array.isArray(message.metrics)) return collection.settle(new Error(`worker ${worker.id} could not collect its metrics`));
      collection.answers.push(message.metrics as WorkerMetrics);
      if (collection.waiting.size === 0) collection.settle();
    });
    // A worker that exits during a scrape is left out of it (its series are gone with it).
    cluster.on('exit', (worker) => {
      for (const collection of this.collections.values()) {
        if (collection.waiting.delete(worker.id) && collection.waiting.size === 0) collection.settle();
      }
    });
  }

  get contentType(): string {
    return this.own.contentType;
  }

  workerExited(): void {
    this.exits.inc();
  }

  async collect(): Promise<string> {
    const id = this.nextId++;
    const workers = this.serving().filter((worker) => worker.isConnected());
    const answers: WorkerMetrics[] = [];
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => collection.settle(new Error('workers did not answer in time')), COLLECT_TIMEOUT_MS);
      const collection: Collection = {
        waiting: new Set(workers.map((worker) => worker.id)),
        answers,
        settle: (error) => {
          clearTimeout(timer);
          this.collections.delete(id);
          if (error) reject(error);
          else resolve();
        },
      };
      this.collections.set(id, collection);
      if (workers.length === 0) return collection.settle();
      for (const worker of workers) {
        worker.send({ type: REQUEST, id }, undefined, (error) => {
          // It disconnected meanwhile: left out, as when it exits.
          if (error && collection.waiting.delete(worker.id) && collection.waiting.size === 0) collection.settle();
        });
      }
    });
    answers.push(await this.own.getMetricsAsJSON());
    return AggregatorRegistry.aggregate(answers).metrics();
  }
}

function isMessage(message: unknown, type: string): message is { type: string; id: number; metrics?: unknown } {
  return typeof message === 'object' && message !== null && (message as { type?: unknown }).type === type;
}
