/**
 * corosync.conf as corosync 3 reads it (exec/coroparse.c `parse_section`): one item per line,
 * `name {` opens a section, `key: value` sets a key (value trimmed; the first colon splits),
 * `}` closes a section; blank lines and lines whose first non-blank character is `#` are skipped.
 * Only what rotate-keys needs is kept: the nodes of the `nodelist` section, with line numbers.
 */

export interface CorosyncNode {
  /** Line of the node's `node {`. */
  line: number
  /** Every key of the node section, with the line it is on (the last one wins, as in corosync). */
  keys: Map<string, {value: string; line: number}>
  name?: string
  ring0Addr?: string
}

export interface CorosyncConfig {
  nodes: CorosyncNode[]
}

export class CorosyncParseError extends Error {
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(message)
    this.name = 'CorosyncParseError'
  }
}

/** Parse corosync.conf text; throws CorosyncParseError (with the line) where corosync refuses the file. */
export function parseCorosyncConf(text: string): CorosyncConfig {
  const stack: string[] = []
  const opened: number[] = []
  const nodes: CorosyncNode[] = []
  let current: CorosyncNode | undefined
  text.split('\n').forEach((raw, index) => {
    const line = index + 1
    const item = raw.trim()
    if (item === '' || item.startsWith('#')) return
    const brace = item.indexOf('{')
    const colon = item.indexOf(':')
    if (brace !== -1 && (colon === -1 || brace < colon)) {
      const name = item.slice(0, brace).trim()
      if (item.slice(brace + 1).trim() !== '') throw new CorosyncParseError(line, 'text after "{"')
      if (name === '') throw new CorosyncParseError(line, 'a section without a name')
      stack.push(name)
      opened.push(line)
      if (stack.length === 2 && stack[0] === 'nodelist' && name === 'node') {
        current = {line, keys: new Map()}
        nodes.push(current)
      }
      return
    }
    if (colon !== -1) {
      const key = item.slice(0, colon).trim()
      const value = item.slice(colon + 1).trim()
      if (key === '') throw new CorosyncParseError(line, 'a value without a key')
      if (stack.length === 0 && key !== 'include')
        throw new CorosyncParseError(line, `"${key}" outside any section`)
      if (current && stack.length === 2) current.keys.set(key, {value, line})
      return
    }
    if (item === '}') {
      if (stack.length === 0) throw new CorosyncParseError(line, 'a "}" that closes no section')
      if (stack.length === 2 && stack[0] === 'nodelist') current = undefined
      stack.pop()
      opened.pop()
      return
    }
    throw new CorosyncParseError(line, `not a section, a key or a "}": ${item}`)
  })
  if (stack.length > 0)
    throw new CorosyncParseError(opened.at(-1) as number, `section "${stack.at(-1)}" is not closed`)
  for (const node of nodes) {
    node.name = node.keys.get('name')?.value
    node.ring0Addr = node.keys.get('ring0_addr')?.value
  }
  return {nodes}
}
