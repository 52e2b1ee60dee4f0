/**
 * The JSON the API answers with (architecture §6), as the CLI reads it. Declared here rather than
 * imported from `src/api` because the CLI talks HTTP to whatever version is deployed: every field
 * it does not strictly need is optional, and unknown fields are ignored.
 */

export interface GroupSummaryView {
  readonly id: string;
  readonly version: number;
  readonly lifecycle?: string;
  readonly provider?: string;
  readonly desired?: number;
  readonly pets?: boolean;
  readonly paused?: boolean;
  readonly blocked?: string;
  readonly summary?: string;
  readonly lastReconcileAt?: number;
}

export interface InstanceView {
  readonly id: string;
  readonly logicalId?: string;
  readonly state: string;
  readonly health: string;
  readonly configHash?: string;
  readonly launchedAt?: number;
  readonly protected?: boolean;
  readonly details?: Readonly<Record<string, string | number>>;
}

export interface StatusView {
  readonly lifecycle?: string;
  readonly instances: readonly InstanceView[];
  readonly converged: boolean;
  readonly blocked?: string;
  readonly lastReconcileAt?: number;
  readonly summary?: string;
  readonly observeError?: string;
}

/** A spec as stored; only the fields the CLI shows are typed. */
export interface SpecView {
  readonly id: string;
  readonly allocation: { readonly size?: number; readonly logicalIds?: readonly string[] };
  readonly instance: { readonly provider: string; readonly properties?: Record<string, unknown> };
  readonly [key: string]: unknown;
}

export interface GroupView {
  readonly id: string;
  readonly version: number;
  readonly etag?: string;
  readonly updatedAt?: number;
  readonly lifecycle?: string;
  readonly spec: SpecView;
  readonly status?: StatusView;
  /** The config hash of the current spec, when the API provides it. */
  readonly configHash?: string;
}

export interface EventView {
  readonly at: number;
  readonly level: string;
  readonly kind: string;
  readonly message: string;
  readonly data?: Readonly<Record<string, unknown>>;
}

export interface VersionView {
  readonly version: number;
  readonly etag?: string;
  readonly updatedAt?: number;
  readonly spec: SpecView;
}

export type PlanActionView =
  | {
      readonly kind: 'launch';
      readonly count: number;
      readonly logicalIds?: readonly string[];
      readonly reason: string;
    }
  | { readonly kind: 'terminate'; readonly ids: readonly string[]; readonly reason: string };

export interface PlanView {
  readonly actions: readonly PlanActionView[];
  readonly blocked?: { readonly reason: string } | string;
  readonly summary?: string;
  readonly notes?: readonly string[];
}

/** Desired instance count of a spec. */
export function desiredOf(spec: SpecView): number {
  return spec.allocation.size ?? spec.allocation.logicalIds?.length ?? 0;
}
