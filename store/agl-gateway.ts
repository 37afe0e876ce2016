// SQL for Agent Lightning's v1 gateway (api/agl-gateway.ts; tables of migration 12): its rollouts with their v1
// lifecycle, the append-only log of terminal transitions that the terminal listing's cursor indexes, the events
// of each rollout attempt, and the registered model servers.
//
// A rollout is one row per change of `agl_gateway_rollouts` holding the whole v1 object (JSON); the newest row
// (highest `version`) is its state, read with `ORDER BY version DESC LIMIT 1 BY rollout_id`, exact without FINAL.
// A deletion is a row too (`deleted = 1`). `generation` is new at every creation: a rollout deleted and created
// again under the same id starts without the old one's events.
import type { AglEvent, AglModel, AglRollout, AglState } from '../schemas/agl-gateway.js';
import type { Driver } from './driver.js';
import { jsonLine, nextVersion } from './json-line.js';

export interface AglStoredRollout {
  rollout: AglRollout;
  generation: string;
  /** Creation order: the v1 listing answers in it. */
  created_seq: number;
  /** The `llm` resource pinned at creation, if the gateway names one. */
  resource: { name: string; version: number } | null;
  /** The rollout queue's rollout and attempt that stand for it once it runs. */
  queue: { rollout_id: string; attempt_id: string } | null;
}

interface RolloutRow {
  rollout_id: string;
  generation: string;
  created_seq: string | number;
  doc: string;
  resource: string;
  queue_ids: string;
  deleted: number | string;
}

const LATEST = `(SELECT rollout_id, generation, created_seq, doc, resource, queue_ids, deleted, state FROM agl_gateway_rollouts
  ORDER BY rollout_id, version DESC LIMIT 1 BY rollout_id)`;

function fromRow(r: RolloutRow): AglStoredRollout {
  const resource = r.resource === '' ? null : (JSON.parse(r.resource) as { name: string; version: number });
  const queue = r.queue_ids === '' ? null : (JSON.parse(r.queue_ids) as { rollout_id: string; attempt_id: string });
  return { rollout: JSON.parse(r.doc) as AglRollout, generation: r.generation, created_seq: Number(r.created_seq), resource, queue };
}

export class AglGatewayStore {
  constructor(private readonly db: Driver) {}

  async writeRollout(r: AglStoredRollout): Promise<void> {
    await this.insert('agl_gateway_rollouts', [this.rolloutLine(r, false)]);
  }

  async writeRollouts(rs: readonly AglStoredRollout[]): Promise<void> {
    if (rs.length > 0)
      await this.insert(
        'agl_gateway_rollouts',
        rs.map((r) => this.rolloutLine(r, false)),
      );
  }

  async deleteRollout(r: AglStoredRollout): Promise<void> {
    await this.insert('agl_gateway_rollouts', [this.rolloutLine(r, true)]);
  }

  async getRollout(rolloutId: string): Promise<AglStoredRollout | null> {
    const rows = await this.db.query<RolloutRow>(
      `SELECT rollout_id, generation, created_seq, doc, resource, queue_ids, deleted FROM agl_gateway_rollouts WHERE rollout_id = {id:String}
       ORDER BY version DESC LIMIT 1`,
      { id: rolloutId },
    );
    const r = rows[0];
    return r && Number(r.deleted) === 0 ? fromRow(r) : null;
  }

  async getRollouts(rolloutIds: readonly string[]): Promise<Map<string, AglStoredRollout>> {
    if (rolloutIds.length === 0) return new Map();
    const rows = await this.db.query<RolloutRow>(
      `SELECT rollout_id, generation, created_seq, doc, resource, queue_ids, deleted FROM agl_gateway_rollouts WHERE rollout_id IN {ids:Array(String)}
       ORDER BY rollout_id, version DESC LIMIT 1 BY rollout_id`,
      { ids: [...new Set(rolloutIds)] },
    );
    return new Map(rows.filter((r) => Number(r.deleted) === 0).map((r) => [r.rollout_id, fromRow(r)]));
  }

  /** Rollouts in any of `states`, in creation order; null limit: all of them. */
  async listByStates(states: readonly AglState[], limit: number | null): Promise<AglStoredRollout[]> {
    const rows = await this.db.query<RolloutRow>(
      `SELECT rollout_id, generation, created_seq, doc, resource, queue_ids, deleted FROM ${LATEST}
       WHERE deleted = 0 AND has({states:Array(String)}, state) ORDER BY created_seq${limit === null ? '' : ' LIMIT {limit:UInt64}'}`,
      { states: [...states], ...(limit === null ? {} : { limit }) },
    );
    return rows.map(fromRow);
  }

  async maxCreatedSeq(): Promise<number> {
    const rows = await this.db.query<{ n: string | number }>('SELECT max(created_seq) AS n FROM agl_gateway_rollouts');
    return Number(rows[0]?.n ?? 0);
  }

  // ---- the terminal log: one row per terminal transition, numbered from 1 ---------------------------------

  async appendTerminal(seq: number, rolloutId: string): Promise<void> {
    await this.insert('agl_gateway_terminal', [jsonLine({ seq, rollout_id: rolloutId, at: Date.now() }, {})]);
  }

  async terminalCount(): Promise<number> {
    const rows = await this.db.query<{ n: string | number }>('SELECT max(seq) AS n FROM agl_gateway_terminal');
    return Number(rows[0]?.n ?? 0);
  }

  /** The rollout ids at log positions after+1 … after+limit, in log order. */
  async terminalSlice(after: number, limit: number): Promise<string[]> {
    const rows = await this.db.query<{ rollout_id: string }>(
      `SELECT rollout_id FROM agl_gateway_terminal WHERE seq > {after:UInt64} AND seq <= {last:UInt64} ORDER BY seq LIMIT 1 BY seq`,
      { after, last: after + limit },
    );
    return rows.map((r) => r.rollout_id);
  }

  // ---- events ----------------------------------------------------------------------------------------------

  async appendEvent(generation: string, seq: number, e: AglEvent): Promise<void> {
    await this.insert('agl_gateway_events', [
      jsonLine(
        {
          rollout_id: e.rollout_id,
          generation,
          attempt_id: e.attempt_id,
          seq,
          event_type: e.event_type,
          timestamp: e.timestamp,
          data: JSON.stringify(e.data),
        },
        {},
      ),
    ]);
  }

  /** One attempt's events in the order they were written. */
  async events(rolloutId: string, generation: string, attemptId: string): Promise<AglEvent[]> {
    const rows = await this.db.query<{ event_type: string; attempt_id: string; timestamp: number | string; data: string }>(
      `SELECT event_type, attempt_id, timestamp, data FROM agl_gateway_events
       WHERE rollout_id = {id:String} AND generation = {gen:String} AND attempt_id = {attempt:String} ORDER BY seq`,
      { id: rolloutId, gen: generation, attempt: attemptId },
    );
    return rows.map((r) => ({
      event_type: r.event_type,
      rollout_id: rolloutId,
      attempt_id: r.attempt_id,
      timestamp: Number(r.timestamp),
      data: JSON.parse(r.data) as Record<string, unknown>,
    }));
  }

  /** The attempts that have events, ordered by their first event. */
  async attempts(rolloutId: string, generation: string): Promise<string[]> {
    const rows = await this.db.query<{ attempt_id: string }>(
      `SELECT attempt_id, min(seq) AS first FROM agl_gateway_events WHERE rollout_id = {id:String} AND generation = {gen:String}
       GROUP BY attempt_id ORDER BY first`,
      { id: rolloutId, gen: generation },
    );
    return rows.map((r) => r.attempt_id);
  }

  async maxEventSeq(): Promise<number> {
    const rows = await this.db.query<{ n: string | number }>('SELECT max(seq) AS n FROM agl_gateway_events');
    return Number(rows[0]?.n ?? 0);
  }

  // ---- registered model servers, keyed by (model, endpoint) -----------------------------------------------

  async writeModels(models: readonly AglModel[], registeredSeq: number): Promise<void> {
    if (models.length === 0) return;
    await this.insert(
      'agl_gateway_models',
      models.map((m) =>
        jsonLine({ model: m.model, endpoint: m.endpoint, model_version: m.version, seq: registeredSeq, deleted: 0, version: nextVersion() }, {}),
      ),
    );
  }

  /** The registered servers, in the order their model was first registered, then by endpoint. */
  async models(): Promise<AglModel[]> {
    const rows = await this.db.query<{ model: string; endpoint: string; model_version: string | number }>(
      `SELECT model, endpoint, model_version FROM
         (SELECT model, endpoint, model_version, seq, deleted FROM agl_gateway_models ORDER BY model, endpoint, version DESC LIMIT 1 BY model, endpoint)
       WHERE deleted = 0 ORDER BY seq, model, endpoint`,
    );
    return rows.map((r) => ({ model: r.model, endpoint: r.endpoint, version: Number(r.model_version) }));
  }

  async deleteAllModels(): Promise<void> {
    const live = await this.models();
    if (live.length === 0) return;
    await this.insert(
      'agl_gateway_models',
      live.map((m) => jsonLine({ model: m.model, endpoint: m.endpoint, model_version: m.version, seq: 0, deleted: 1, version: nextVersion() }, {})),
    );
  }

  private rolloutLine(r: AglStoredRollout, deleted: boolean): string {
    return jsonLine(
      {
        rollout_id: r.rollout.rollout_id,
        generation: r.generation,
        created_seq: r.created_seq,
        state: r.rollout.status.state,
        doc: JSON.stringify(r.rollout),
        resource: r.resource ? JSON.stringify(r.resource) : '',
        queue_ids: r.queue ? JSON.stringify(r.queue) : '',
        deleted: deleted ? 1 : 0,
        version: nextVersion(),
      },
      {},
    );
  }

  private async insert(table: string, lines: readonly string[]): Promise<void> {
    await this.db.insertJsonEachRow(table, Buffer.from(lines.join('\n') + '\n'));
  }
}
