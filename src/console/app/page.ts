/** A page of the console: built once, then refreshed in place while it is shown (live view). */
export interface Page {
  readonly title: string;
  readonly element: HTMLElement;
  /** Re-reads the API and updates the page without reloading; inputs keep their state. */
  refresh(): Promise<void>;
  /** How often `refresh` runs while the page is shown. */
  readonly intervalMs: number;
}

/** What a group's instances say about it, the same counts as the CLI's. */
export interface Counts {
  readonly desired: number;
  readonly running: number;
  readonly healthy: number;
  /** Running on the current config hash. */
  readonly current: number;
}

export function countsOf(
  desired: number,
  status: {
    readonly configHash?: string;
    readonly instances: readonly { state: string; health: string; configHash: string }[];
  },
): Counts {
  const running = status.instances.filter((i) => i.state === 'running' || i.state === 'pending');
  return {
    desired,
    running: running.length,
    healthy: running.filter((i) => i.health === 'healthy').length,
    current: running.filter((i) => i.configHash === status.configHash).length,
  };
}

export function desiredOf(spec: { allocation: { size?: number; logicalIds?: string[] } }): number {
  return spec.allocation.size ?? spec.allocation.logicalIds?.length ?? 0;
}
