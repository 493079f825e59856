// LISTEN guardtrace_changes on a dedicated connection: every decision, verdict, claim and import that commits on the
// team database reaches each connected window within a second, without polling. When the connection drops the
// listener says so (the status bar shows it), reconnects with backoff, and on reconnecting reports `resync`: a
// window cannot know what it missed while disconnected, so it reloads what it shows.
import pg from 'pg';

export const CHANGES_CHANNEL = 'guardtrace_changes';

export interface TeamChange {
  kind: 'decision' | 'verdict' | 'claim' | 'import';
  caseId?: string;
  count?: number;
  /** The database login that made the change. */
  by: string;
}

export type ListenerStatus =
  { state: 'connected'; resync: boolean } | { state: 'disconnected'; reason: string; retryInMs: number };

export interface ChangeListenerOptions {
  onChange: (change: TeamChange) => void;
  onStatus?: (status: ListenerStatus) => void;
  /** First retry delay; doubles up to maxBackoffMs, with ±25% jitter so clients do not reconnect in step. */
  minBackoffMs?: number;
  maxBackoffMs?: number;
}

export class TeamChangeListener {
  private client: pg.Client | null = null;
  private closed = false;
  private everConnected = false;
  private retryTimer: NodeJS.Timeout | null = null;
  private backoffMs: number;

  constructor(
    private readonly config: pg.ClientConfig,
    private readonly options: ChangeListenerOptions,
  ) {
    this.backoffMs = options.minBackoffMs ?? 250;
  }

  /** Connects and listens; resolves once listening (rejects if the first connection fails). */
  async start(): Promise<void> {
    await this.connect();
  }

  private async connect(): Promise<void> {
    const client = new pg.Client(this.config);
    client.on('notification', (message) => {
      if (message.channel !== CHANGES_CHANNEL || !message.payload) return;
      try {
        this.options.onChange(JSON.parse(message.payload) as TeamChange);
      } catch {
        // A payload we cannot read is not ours to act on; the next resync covers it.
      }
    });
    client.on('error', (error) => this.lost(client, error.message));
    client.on('end', () => this.lost(client, 'connection closed'));
    this.client = client;
    try {
      await client.connect();
      await client.query(`LISTEN ${CHANGES_CHANNEL}`);
    } catch (error) {
      if (this.everConnected) this.lost(client, (error as Error).message);
      else {
        // The first connection: the caller hears the error and decides; nothing retries behind its back.
        this.client = null;
        await client.end().catch(() => undefined);
      }
      throw error;
    }
    const resync = this.everConnected;
    this.everConnected = true;
    this.backoffMs = this.options.minBackoffMs ?? 250;
    this.options.onStatus?.({ state: 'connected', resync });
  }

  private lost(client: pg.Client, reason: string): void {
    if (this.client !== client || this.closed) return;
    this.client = null;
    client.removeAllListeners('end');
    client.end().catch(() => undefined);
    const max = this.options.maxBackoffMs ?? 10_000;
    const delay = Math.round(this.backoffMs * (0.75 + Math.random() * 0.5));
    this.backoffMs = Math.min(max, this.backoffMs * 2);
    this.options.onStatus?.({ state: 'disconnected', reason, retryInMs: delay });
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      if (!this.closed) this.connect().catch(() => undefined);
    }, delay);
  }

  get connected(): boolean {
    return this.client !== null;
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    const client = this.client;
    this.client = null;
    if (client) {
      client.removeAllListeners('end');
      await client.end().catch(() => undefined);
    }
  }
}
