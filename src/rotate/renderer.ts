/** listr2's renderers this command uses. */
export type RendererName = 'silent' | 'simple' | 'default'

/**
 * The progress renderer (as lint-staged's getRenderer): nothing under --format json (standard
 * output is the JSON document), plain lines under --dry-run or when standard error is not a
 * terminal (logs, systemd's journal), the live default renderer otherwise.
 */
export function chooseRenderer(options: {format: string; dryRun: boolean; tty: boolean}): RendererName {
  if (options.format === 'json') return 'silent'
  if (options.dryRun || !options.tty) return 'simple'
  return 'default'
}
