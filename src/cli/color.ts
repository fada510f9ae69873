/**
 * Whether to colour text for this stream: never when NO_COLOR is set (https://no-color.org),
 * always when FORCE_COLOR asks for it, otherwise only on a terminal that is not "dumb".
 */
export function useColor(stream: {isTTY?: boolean}, env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false
  if (env.FORCE_COLOR !== undefined) return env.FORCE_COLOR !== '0' && env.FORCE_COLOR !== 'false'
  return stream.isTTY === true && env.TERM !== 'dumb'
}
