import {isMap, isSeq, LineCounter, parseDocument, type Node as YamlNode} from 'yaml'

import {tooLargeText, YAML_LIMIT} from '../parsers/limits.js'
import {InputError} from './errors.js'
import {expiryTime, type Waiver} from './waivers.js'

/*
 * Reading a waivers file, apart from the rest of the waivers module: it needs the YAML parser,
 * which only a run that has a waivers file should load.
 */

const FIELDS = new Set(['check', 'path', 'reason', 'expires'])

/** Parse a waivers file: a YAML list, or a mapping with a `waivers:` list. Errors name file and line. */
export function parseWaivers(text: string, file: string): Waiver[] {
  const bytes = Buffer.byteLength(text)
  if (bytes > YAML_LIMIT)
    throw new InputError(`${file}:1: the file ${tooLargeText(bytes, YAML_LIMIT)} of YAML`)
  const lineCounter = new LineCounter()
  const doc = parseDocument(text, {lineCounter, uniqueKeys: true, prettyErrors: false})
  const lineOf = (node: YamlNode | null | undefined) =>
    node?.range ? lineCounter.linePos(node.range[0]).line : 1
  const fail = (line: number, message: string): never => {
    throw new InputError(`${file}:${line}: ${message}`)
  }
  const first = doc.errors[0]
  if (first) fail(lineCounter.linePos(first.pos[0]).line, first.message.split('\n')[0] ?? 'invalid YAML')
  let list: YamlNode | null = doc.contents
  if (list === null) return []
  if (isMap(list)) {
    const inner = list.get('waivers', true)
    if (inner === undefined) fail(lineOf(list), 'expected a "waivers:" list')
    list = inner as YamlNode
  }
  if (!isSeq(list)) return fail(lineOf(list), 'expected a list of waivers')
  return list.items.map((item, index) => {
    const line = lineOf(item as YamlNode)
    const where = `waiver ${index + 1}`
    if (!isMap(item)) return fail(line, `${where}: expected a mapping with check, path, reason, expires`)
    const fields: Record<string, string> = {}
    for (const pair of item.items) {
      const key = String((pair.key as {value?: unknown})?.value ?? pair.key)
      if (!FIELDS.has(key)) fail(lineOf(pair.key as YamlNode), `${where}: unknown field "${key}"`)
      const value = (pair.value as {value?: unknown} | null)?.value
      if (value === null || value === undefined || typeof value === 'object')
        fail(lineOf(pair.key as YamlNode), `${where}: "${key}" needs a text value`)
      fields[key] = String(value)
    }
    if (!fields.check) fail(line, `${where}: "check" is required`)
    if (!fields.reason?.trim()) fail(line, `${where}: "reason" is required`)
    if (fields.expires !== undefined && Number.isNaN(expiryTime(fields.expires)))
      fail(line, `${where}: "expires" must be a date like 2027-01-31, not "${fields.expires}"`)
    if (fields.path !== undefined && !fields.path.startsWith('/'))
      fail(line, `${where}: "path" must be an absolute host path or glob, not "${fields.path}"`)
    return {
      check: fields.check as string,
      path: fields.path,
      reason: (fields.reason as string).trim(),
      expires: fields.expires,
      source: `${file}:${line}`,
      file,
      line,
    }
  })
}
