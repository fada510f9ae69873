import {readFileSync} from 'node:fs'

import Ajv2020 from 'ajv/dist/2020.js'
import addFormats from 'ajv-formats'
import {describe, expect, it} from 'vitest'

import {formatJson} from '../../src/report/json.js'
import {NASTY_MESSAGE, report} from './fixture.js'

const schema = JSON.parse(readFileSync(new URL('../../schema/report.schema.json', import.meta.url), 'utf8'))

function validator() {
  const ajv = new Ajv2020.default({allErrors: true, strict: true})
  addFormats.default(ajv)
  return ajv.compile(schema)
}

const validate = validator()
const output = formatJson(report)
const json = JSON.parse(output)

describe('formatJson', () => {
  it('produces a report that the documented schema accepts', () => {
    expect(validate(json), JSON.stringify(validate.errors, null, 2)).toBe(true)
  })

  it('is pretty-printed with two spaces and ends with a newline', () => {
    expect(output).toBe(JSON.stringify(json, null, 2) + '\n')
    expect(output.split('\n')[1]).toMatch(/^ {2}"tool": \{$/)
  })

  it('keeps the documented key order', () => {
    expect(Object.keys(json)).toEqual(['tool', 'root', 'profiles', 'failOn', 'summary', 'results'])
    expect(Object.keys(json.summary)).toEqual(['status', 'exitCode', 'counts', 'severities'])
    expect(Object.keys(json.summary.severities)).toEqual(['critical', 'high', 'medium', 'low', 'info'])
    const full = json.results.find((r: {check: string}) => r.check === 'PCP-ACCESS-002')
    expect(Object.keys(full)).toEqual([
      'check',
      'title',
      'severity',
      'status',
      'path',
      'line',
      'message',
      'evidence',
      'remediation',
      'waived',
      'identity',
    ])
    expect(Object.keys(full.waived)).toEqual(['reason', 'expires', 'source'])
  })

  it('omits absent optional fields instead of writing null', () => {
    expect(output).not.toContain('null')
    const pathless = json.results.find((r: {check: string}) => r.check === 'PCP-TLS-001')
    expect(Object.keys(pathless)).toEqual([
      'check',
      'title',
      'severity',
      'status',
      'message',
      'remediation',
      'identity',
    ])
  })

  it('carries the summary with the exit code of its status', () => {
    expect(json.summary).toEqual({
      status: 'CRITICAL',
      exitCode: 2,
      counts: report.summary.counts,
      severities: {critical: 1, high: 1, medium: 1, low: 1, info: 1},
    })
    expect(json.tool).toEqual({name: 'pcp-harden', version: '0.1.0'})
    expect(json.failOn).toBe('low')
  })

  it('keeps every result, messages byte for byte', () => {
    expect(json.results).toHaveLength(report.results.length)
    expect(json.results.map((r: {message: string}) => r.message)).toContain(NASTY_MESSAGE)
    expect(output).not.toContain('\u001b')
  })

  it('does not include the catalogue metadata, which is not part of the contract', () => {
    expect(json).not.toHaveProperty('checks')
  })
})

describe('schema/report.schema.json', () => {
  const mutate = (change: (copy: typeof json) => void) => {
    const copy = structuredClone(json)
    change(copy)
    return validate(copy)
  }

  it('rejects unknown properties at every level', () => {
    expect(mutate((r) => (r.extra = 1))).toBe(false)
    expect(mutate((r) => (r.tool.extra = 1))).toBe(false)
    expect(mutate((r) => (r.summary.extra = 1))).toBe(false)
    expect(mutate((r) => (r.summary.counts.extra = 1))).toBe(false)
    expect(mutate((r) => (r.summary.severities.extra = 1))).toBe(false)
    expect(mutate((r) => (r.results[0].extra = 1))).toBe(false)
    expect(mutate((r) => (r.results[0].waived.extra = 1))).toBe(false)
  })

  it('rejects values outside the enums and null optionals', () => {
    expect(mutate((r) => (r.summary.status = 'FINE'))).toBe(false)
    expect(mutate((r) => (r.summary.exitCode = 4))).toBe(false)
    expect(mutate((r) => (r.failOn = 'severe'))).toBe(false)
    expect(mutate((r) => (r.profiles = ['pcp-collector', 'nginx']))).toBe(false)
    expect(mutate((r) => (r.results[0].severity = 'urgent'))).toBe(false)
    expect(mutate((r) => (r.results[0].status = 'warn'))).toBe(false)
    expect(mutate((r) => (r.results[0].path = null))).toBe(false)
    expect(mutate((r) => (r.results[0].line = 0))).toBe(false)
  })

  it('requires the mandatory fields', () => {
    expect(mutate((r) => delete r.summary.counts.ignored)).toBe(false)
    expect(mutate((r) => delete r.summary.severities.info)).toBe(false)
    // Added later: a report from an older version, without it, still validates.
    expect(mutate((r) => delete r.summary.severities)).toBe(true)
    expect(mutate((r) => delete r.results[0].remediation)).toBe(false)
  })

  it('documents every property', () => {
    const undocumented: string[] = []
    const walk = (node: unknown, at: string) => {
      if (typeof node !== 'object' || node === null) return
      const properties = (node as {properties?: Record<string, {description?: string}>}).properties
      for (const [name, property] of Object.entries(properties ?? {})) {
        if (!property.description) undocumented.push(`${at}.${name}`)
      }
      for (const [key, child] of Object.entries(node)) walk(child, `${at}.${key}`)
    }
    walk(schema, '#')
    expect(undocumented).toEqual([])
  })

  it('forbids additional properties on every object', () => {
    const open: string[] = []
    const walk = (node: unknown, at: string) => {
      if (typeof node !== 'object' || node === null) return
      const object = node as {type?: string; additionalProperties?: boolean}
      if (object.type === 'object' && object.additionalProperties !== false) open.push(at)
      for (const [key, child] of Object.entries(node)) walk(child, `${at}.${key}`)
    }
    walk(schema, '#')
    expect(open).toEqual([])
  })
})
