import {Listr, ListrLogger} from 'listr2'

import {type Node} from './exec.js'
import {type NodeOutcome, type Progress, settle} from './progress.js'
import {type RendererName} from './renderer.js'

/**
 * Progress as listr2 tasks: one task per step, one subtask per node (run `concurrency` at a time,
 * each failing on its own without stopping the others). Loaded only by the command's run().
 */
export function listrProgress(renderer: RendererName, concurrency: number): Progress {
  // Progress and failures alike on standard output, beside the report: standard error stays for
  // errors of the command itself.
  const logger = new ListrLogger({toStderr: []})
  const options = {
    renderer,
    fallbackRenderer: 'simple',
    rendererOptions: {logger},
    fallbackRendererOptions: {logger},
    exitOnError: false,
    collectErrors: false,
  } as const
  return {
    async step(title, run) {
      let result: Awaited<ReturnType<typeof run>> | undefined
      let failure: unknown
      await new Listr(
        [
          {
            title,
            task: async () => {
              try {
                result = await run()
              } catch (error) {
                failure = error
                throw error
              }
            },
          },
        ],
        options,
      ).run()
      if (failure !== undefined) throw failure
      return result as Awaited<ReturnType<typeof run>>
    },
    async nodes<T>(title: string, nodes: readonly Node[], run: (node: Node) => Promise<T>) {
      const outcomes: NodeOutcome<T>[] = []
      await new Listr(
        [
          {
            title,
            task: (_ctx, task) =>
              task.newListr(
                nodes.map((node, index) => ({
                  title: node.label,
                  task: async () => {
                    const outcome = await settle(node, run)
                    outcomes[index] = outcome
                    if (!outcome.ok) throw new Error(outcome.error)
                  },
                })),
                {concurrent: concurrency, exitOnError: false},
              ),
          },
        ],
        options,
      ).run()
      return outcomes
    },
    async skipped(title, why) {
      await new Listr([{title, task: (_ctx, task) => task.skip(why)}], options).run()
    },
  }
}
