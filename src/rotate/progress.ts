import {type Node} from './exec.js'

/** How one node's part of a step ended. */
export type NodeOutcome<T> = {node: Node; ok: true; value: T} | {node: Node; ok: false; error: string}

/**
 * How the rotation shows its steps. The library calls it; the command gives a listr2 one
 * (src/rotate/listr-progress.ts), tests and JSON output the silent one.
 */
export interface Progress {
  /** One local step. */
  step<T>(title: string, run: () => Promise<T>): Promise<T>
  /** One step on every node, concurrently (at most `concurrency` at a time); never throws. */
  nodes<T>(title: string, nodes: readonly Node[], run: (node: Node) => Promise<T>): Promise<NodeOutcome<T>[]>
  /** A step that a dry run does not take: shown as skipped with what it would do. */
  skipped(title: string, why: string): Promise<void>
}

/** Run `run` on every item, at most `limit` at a time; results in the items' order. */
export async function mapLimit<I, O>(
  items: readonly I[],
  limit: number,
  run: (item: I) => Promise<O>,
): Promise<O[]> {
  const results: O[] = new Array(items.length)
  let next = 0
  const worker = async () => {
    while (next < items.length) {
      const index = next++
      results[index] = await run(items[index] as I)
    }
  }
  await Promise.all(Array.from({length: Math.min(Math.max(limit, 1), items.length)}, worker))
  return results
}

export async function settle<T>(node: Node, run: (node: Node) => Promise<T>): Promise<NodeOutcome<T>> {
  try {
    return {node, ok: true, value: await run(node)}
  } catch (error) {
    return {node, ok: false, error: (error as Error).message}
  }
}

/** No output at all. */
export function silentProgress(concurrency: number): Progress {
  return {
    step: (_title, run) => run(),
    nodes: (_title, nodes, run) => mapLimit(nodes, concurrency, (node) => settle(node, run)),
    skipped: async () => undefined,
  }
}
